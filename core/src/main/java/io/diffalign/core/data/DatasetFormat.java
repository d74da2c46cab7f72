package io.diffalign.core.data;

/** The on-disk layouts {@link PreferenceDatasets#open} understands. */
public enum DatasetFormat {
    /** JSONL with {@code prompt}, {@code chosen}, {@code rejected} (+ optional scores, preference, user_id). */
    PAIRS_JSONL,
    /** JSONL with Pick-a-Pic field names {@code caption}, {@code image_0}, {@code image_1}, {@code label_0}. */
    PICKAPIC_JSONL,
    /** JSONL with {@code prompt}, {@code image}, boolean {@code label} (KTO). */
    UNPAIRED_JSONL,
    /** Folder per pair: {@code <root>/<pair-id>/prompt.txt, chosen.<ext>, rejected.<ext>[, preference.txt]}. */
    FOLDER,
    /** Parquet files in the Pick-a-Pic v2 column layout ({@code caption, jpg_0, jpg_1, label_0}). */
    PICKAPIC_PARQUET
}

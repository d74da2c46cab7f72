/**
 * Preference data for alignment training: pair and unpaired-sample records, format-detecting readers
 * ({@link io.diffalign.core.data.PreferenceDatasets}), image decoding and preprocessing, a seeded resumable
 * {@link io.diffalign.core.data.PairSampler}, bad-sample handling and an on-disk
 * {@link io.diffalign.core.data.LatentCache}.
 *
 * <p>Supported on-disk formats (see {@link io.diffalign.core.data.DatasetFormat}):
 * <ul>
 *   <li>pairs JSONL: {@code {"prompt","chosen","rejected"}} plus optional {@code "chosen_score"},
 *       {@code "rejected_score"}, {@code "preference"}, {@code "user_id"}; image paths are relative to the
 *       manifest's folder and may not leave it;</li>
 *   <li>Pick-a-Pic JSONL: {@code {"caption","image_0","image_1","label_0"}};</li>
 *   <li>unpaired JSONL (KTO): {@code {"prompt","image","label": true|false}};</li>
 *   <li>folder layout: {@code <root>/<pair-id>/prompt.txt}, {@code chosen.<ext>}, {@code rejected.<ext>} and an
 *       optional {@code preference.txt} holding the probability that chosen wins;</li>
 *   <li>Parquet in the Pick-a-Pic v2 column layout ({@code caption}, {@code jpg_0}, {@code jpg_1},
 *       {@code label_0}, optional {@code user_id}), read without Hadoop.</li>
 * </ul>
 */
package io.diffalign.core.data;

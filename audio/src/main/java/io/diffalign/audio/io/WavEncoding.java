package io.diffalign.audio.io;

/** The sample encodings {@link WavIo} reads; {@link #PCM_16} and {@link #FLOAT_32} are also written. */
public enum WavEncoding {
    /** Unsigned 8-bit PCM (offset 128), scaled by 1/128. */
    PCM_U8(8, false),
    /** Signed 16-bit little-endian PCM, scaled by 1/32768 (soundfile/torchaudio convention). */
    PCM_16(16, false),
    /** Signed 24-bit little-endian PCM, scaled by 1/2^23. */
    PCM_24(24, false),
    /** Signed 32-bit little-endian PCM, scaled by 1/2^31. */
    PCM_32(32, false),
    /** IEEE 754 32-bit float, taken as is. */
    FLOAT_32(32, true),
    /** IEEE 754 64-bit float, narrowed to float. */
    FLOAT_64(64, true);

    private final int bits;
    private final boolean floating;

    WavEncoding(int bits, boolean floating) {
        this.bits = bits;
        this.floating = floating;
    }

    /**
     * Bits per sample.
     *
     * @return the sample width in bits
     */
    public int bits() {
        return bits;
    }

    /**
     * Whether samples are IEEE floats (WAVE format tag 3).
     *
     * @return true for float encodings
     */
    public boolean floating() {
        return floating;
    }

    /**
     * Bytes per sample of one channel.
     *
     * @return bits / 8
     */
    public int bytes() {
        return bits / 8;
    }
}

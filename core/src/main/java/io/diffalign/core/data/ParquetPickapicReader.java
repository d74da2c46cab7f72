package io.diffalign.core.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads Parquet files in the Pick-a-Pic v2 column layout without Hadoop (parquet-java's {@link LocalInputFile}
 * and {@link PlainParquetConfiguration}; parquet-floor supplies the few Hadoop classes parquet-hadoop links
 * against). Only {@code caption}, {@code jpg_0}, {@code jpg_1}, {@code label_0} and, when present,
 * {@code user_id} are read; the image bytes are held in memory.
 */
final class ParquetPickapicReader {
    static final String CAPTION = "caption";
    static final String JPG_0 = "jpg_0";
    static final String JPG_1 = "jpg_1";
    static final String LABEL_0 = "label_0";
    static final String USER_ID = "user_id";

    private ParquetPickapicReader() {
    }

    /**
     * Reads the files in order.
     *
     * @param source the file or folder that was opened (recorded in the dataset)
     * @param files the Parquet files
     * @param ties the ties policy
     * @return the dataset
     */
    static PreferenceDataset read(Path source, List<Path> files, TiesPolicy ties) {
        List<PreferencePair> pairs = new ArrayList<>();
        int[] dropped = {0};
        for (Path file : files) {
            readFile(file, ties, pairs, dropped);
        }
        return new PreferenceDataset(DatasetFormat.PICKAPIC_PARQUET, source, pairs, List.of(), dropped[0]);
    }

    private static void readFile(Path file, TiesPolicy ties, List<PreferencePair> out, int[] dropped) {
        String name = file.getFileName().toString();
        ParquetReadOptions options = ParquetReadOptions.builder(new PlainParquetConfiguration()).build();
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), options)) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            List<Type> projected = new ArrayList<>();
            for (String col : List.of(CAPTION, JPG_0, JPG_1, LABEL_0)) {
                if (!schema.containsField(col)) {
                    throw new DatasetException(name + ": missing column '" + col + "' (Pick-a-Pic layout needs "
                            + "caption, jpg_0, jpg_1, label_0)");
                }
                projected.add(schema.getType(col));
            }
            checkPrimitive(schema, CAPTION, PrimitiveType.PrimitiveTypeName.BINARY, name);
            checkPrimitive(schema, JPG_0, PrimitiveType.PrimitiveTypeName.BINARY, name);
            checkPrimitive(schema, JPG_1, PrimitiveType.PrimitiveTypeName.BINARY, name);
            boolean hasUser = schema.containsField(USER_ID) && schema.getType(USER_ID).isPrimitive();
            if (hasUser) {
                projected.add(schema.getType(USER_ID));
            }
            MessageType projection = new MessageType(schema.getName(), projected);
            reader.setRequestedSchema(projection);
            MessageColumnIO io = new ColumnIOFactory().getColumnIO(projection, schema);
            long row = 0;
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(projection));
                for (long i = 0; i < pages.getRowCount(); i++, row++) {
                    Group g = records.read();
                    String loc = name + ":row " + row;
                    PreferencePair p = toPair(g, loc, hasUser, schema);
                    if (p.isTie() && ties == TiesPolicy.DROP) {
                        dropped[0]++;
                    } else {
                        out.add(p);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof DatasetException de) {
                throw de;
            }
            throw new DatasetException(name + ": cannot read Parquet: " + e, e);
        }
    }

    private static PreferencePair toPair(Group g, String loc, boolean hasUser, MessageType schema) {
        String caption = g.getFieldRepetitionCount(CAPTION) == 0 ? "" : g.getString(CAPTION, 0);
        byte[] jpg0 = bytes(g, JPG_0, loc);
        byte[] jpg1 = bytes(g, JPG_1, loc);
        if (g.getFieldRepetitionCount(LABEL_0) == 0) {
            throw new DatasetException(loc + ": field 'label_0' is null");
        }
        double label0 = label(g, schema, loc);
        if (!(label0 >= 0 && label0 <= 1)) {
            throw new DatasetException(loc + ": field 'label_0' must be in [0, 1], got " + label0);
        }
        Optional<String> user = Optional.empty();
        if (hasUser && g.getFieldRepetitionCount(USER_ID) > 0) {
            user = Optional.of(g.getValueToString(g.getType().getFieldIndex(USER_ID), 0));
        }
        return PickapicLabels.toPair(caption, new ImageSource.InMemoryImage(jpg0, loc + ":" + JPG_0),
                new ImageSource.InMemoryImage(jpg1, loc + ":" + JPG_1), label0, user, loc);
    }

    private static double label(Group g, MessageType schema, String loc) {
        PrimitiveType.PrimitiveTypeName t = schema.getType(LABEL_0).asPrimitiveType().getPrimitiveTypeName();
        return switch (t) {
            case DOUBLE -> g.getDouble(LABEL_0, 0);
            case FLOAT -> g.getFloat(LABEL_0, 0);
            case INT32 -> g.getInteger(LABEL_0, 0);
            case INT64 -> g.getLong(LABEL_0, 0);
            default -> throw new DatasetException(loc + ": field 'label_0' must be numeric, got " + t);
        };
    }

    private static byte[] bytes(Group g, String field, String loc) {
        if (g.getFieldRepetitionCount(field) == 0) {
            throw new DatasetException(loc + ": field '" + field + "' is null");
        }
        return g.getBinary(field, 0).getBytes();
    }

    private static void checkPrimitive(MessageType schema, String col, PrimitiveType.PrimitiveTypeName want,
            String name) {
        Type t = schema.getType(col);
        if (!t.isPrimitive() || t.asPrimitiveType().getPrimitiveTypeName() != want) {
            throw new DatasetException(name + ": column '" + col + "' must be " + want + ", got " + t);
        }
    }
}

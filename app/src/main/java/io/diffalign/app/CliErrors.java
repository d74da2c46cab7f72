package io.diffalign.app;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception from a subcommand into one clear line on stderr and exit code 1 (2 for usage
 * errors picocli reports itself). {@code DIFFALIGN_DEBUG=1} adds the stack trace.
 */
public final class CliErrors implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        if (ex instanceof java.nio.file.NoSuchFileException nsf) {
            msg = "no such file: " + nsf.getFile() + (nsf.getReason() == null ? "" : " (" + nsf.getReason() + ")");
        }
        cmd.getErr().println("diffalign " + cmd.getCommandName() + ": error: " + msg);
        if ("1".equals(System.getenv("DIFFALIGN_DEBUG"))) {
            ex.printStackTrace(cmd.getErr());
        }
        return ex instanceof UsageException ? 2 : 1;
    }
}

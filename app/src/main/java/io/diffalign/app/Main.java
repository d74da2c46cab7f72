package io.diffalign.app;

import picocli.CommandLine;

/** Entry point of the {@code diffalign} command. */
public final class Main {
    private Main() {}

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line without exiting (for tests and embedding).
     *
     * @param args the arguments
     * @return the exit code
     */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new DiffalignCommand());
        cl.setExecutionExceptionHandler(new CliErrors());
        return cl.execute(args);
    }
}

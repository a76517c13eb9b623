package io.pglite.testcontainers;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the server settings out of a container command such as {@code postgres -c max_connections=42 -c
 * fsync=off}, the way Testcontainers users pass settings to the postgres image. Only the options that set
 * server parameters are meaningful without a container; anything else is refused with a clear message rather
 * than ignored, so a suite never runs with a setting it believes it has but does not.
 */
final class ServerCommand {

    private ServerCommand() {}

    /**
     * Parses a command.
     *
     * @param parts the command, split on spaces as {@code GenericContainer.withCommand(String)} does
     * @return the settings, {@code name=value} each, in order
     * @throws IllegalArgumentException for an option that is not a setting
     */
    static List<String> settings(String[] parts) {
        List<String> settings = new ArrayList<>();
        int i = 0;
        while (i < parts.length && parts[i].isEmpty()) {
            i++;
        }
        if (i < parts.length && (parts[i].equals("postgres") || parts[i].endsWith("/postgres"))) {
            i++;
        }
        for (; i < parts.length; i++) {
            String p = parts[i];
            if (p.isEmpty()) {
                continue;
            }
            if (p.equals("-c")) {
                settings.add(setting(parts, ++i, p));
            } else if (p.startsWith("-c")) {
                settings.add(checked(p.substring(2), p));
            } else if (p.startsWith("--") && p.contains("=")) {
                // postgres accepts --name=value for every run-time parameter (dashes stand for underscores).
                String nameValue = p.substring(2);
                int eq = nameValue.indexOf('=');
                settings.add(nameValue.substring(0, eq).replace('-', '_') + nameValue.substring(eq));
            } else if (p.equals("-N")) {
                settings.add("max_connections=" + value(parts, ++i, p));
            } else if (p.equals("-B")) {
                settings.add("shared_buffers=" + value(parts, ++i, p));
            } else if (p.equals("-F")) {
                settings.add("fsync=off");
            } else {
                throw new IllegalArgumentException("PgliteContainer understands server settings in the command"
                        + " (postgres -c name=value, --name=value, -N, -B, -F), not '" + p + "' in '"
                        + String.join(" ", parts) + "'");
            }
        }
        return settings;
    }

    private static String setting(String[] parts, int i, String option) {
        return checked(value(parts, i, option), option);
    }

    private static String value(String[] parts, int i, String option) {
        if (i >= parts.length || parts[i].isEmpty()) {
            throw new IllegalArgumentException("'" + option + "' needs a value in '" + String.join(" ", parts) + "'");
        }
        return parts[i];
    }

    private static String checked(String nameValue, String option) {
        int eq = nameValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("'" + option + " " + nameValue + "' is not name=value");
        }
        return nameValue;
    }
}

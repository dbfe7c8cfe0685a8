// A desktop stand-in for android.util.Log, written for otaseal's interop test: the plugin's
// code logs through it; messages go to standard error when OTASEAL_INTEROP_VERBOSE is set.
package android.util;

public final class Log {
    private static final boolean VERBOSE = System.getenv("OTASEAL_INTEROP_VERBOSE") != null;

    private Log() {}

    private static int print(String level, String tag, String msg) {
        if (VERBOSE) {
            System.err.println(level + "/" + tag + ": " + msg);
        }
        return 0;
    }

    public static int d(String tag, String msg) { return print("D", tag, msg); }
    public static int i(String tag, String msg) { return print("I", tag, msg); }
    public static int w(String tag, String msg) { return print("W", tag, msg); }
    public static int e(String tag, String msg) { return print("E", tag, msg); }
    public static int e(String tag, String msg, Throwable t) { return print("E", tag, msg + ": " + t); }
}

// A stand-in for the plugin's own Logger (which needs Capacitor's Bridge), written for
// otaseal's interop test: the four methods CryptoCipher calls, printing through android.util.Log.
package ee.forgr.capacitor_updater;

import android.util.Log;

public class Logger {
    private static final String TAG = "CapgoUpdater";

    public Logger() {}

    public void debug(String message) { Log.d(TAG, message); }
    public void info(String message) { Log.i(TAG, message); }
    public void warn(String message) { Log.w(TAG, message); }
    public void error(String message) { Log.e(TAG, message); }
}

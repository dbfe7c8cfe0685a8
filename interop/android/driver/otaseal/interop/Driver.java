// otaseal's interop driver: runs the Android crypto code of @capgo/capacitor-updater
// (its CryptoCipher.java, compiled from the npm package at test time) the way the plugin's
// download path calls it, and prints the plugin's verdict for each case.
//
// Usage: java -cp CLASSES otaseal.interop.Driver PLUGIN_VERSION CASES.tsv
//
// CASES.tsv, one case a line, tab-separated:
//   id  bundle  ENCRYPTED_FILE  IV_SESSION_KEY  SIGNED_CHECKSUM  PUBLIC_KEY_PEM_FILE
//   id  delta   ENTRIES.tsv     IV_SESSION_KEY  FILES_DIR        PUBLIC_KEY_PEM_FILE
// where ENTRIES.tsv lists a manifest's entries as "file_name<TAB>file_hash" lines.
// Output, one line a case: "id<TAB>accept" or "id<TAB>reject<TAB>why".
//
// The steps follow the two plugin versions the interop test installs, read from their sources:
// - bundle (CapgoUpdater.finishDownload, non-manifest): refuse an empty checksum
//   ("checksum_required"); 8.x refuses a session key that CryptoCipher.isValidSessionKey
//   rejects; CryptoCipher.decryptFile(file, publicKey, ivSessionKey);
//   expected = CryptoCipher.decryptChecksum(checksum, publicKey);
//   accept iff expected.equals(CryptoCipher.calcChecksum(file)).
// - delta (DownloadService, per manifest entry): hash = decryptChecksum(file_hash, publicKey);
//   decryptFile on a copy of the downloaded file; Brotli-decompress names ending in ".br";
//   compare the SHA-256 hex of the result with hash: equalsIgnoreCase in 8.x
//   (writeFileAtomic), equals in 7.x (downloadAndVerify). Any exception is a refusal.
// The Brotli step uses the `brotli` command (the plugin bundles org.brotli:dec, a Brotli
// decoder like any other): decompression is not the crypto under test.
package otaseal.interop;

import ee.forgr.capacitor_updater.CryptoCipher;
import ee.forgr.capacitor_updater.Logger;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

public final class Driver {
    private Driver() {}

    /** A refusal by the plugin's flow, with the reason it gives. */
    private static final class Refused extends Exception {
        Refused(String why) {
            super(why);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Driver PLUGIN_VERSION CASES.tsv");
            System.exit(2);
        }
        int major = Integer.parseInt(args[0].split("\\.")[0]);
        CryptoCipher.setLogger(new Logger());
        Path scratch = Files.createTempDirectory("otaseal-android-");
        for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            String verdict;
            try {
                String publicKey = Files.readString(Path.of(f[5]), StandardCharsets.US_ASCII);
                if (f[1].equals("bundle")) {
                    bundle(major, scratch, Path.of(f[2]), f[3], f[4], publicKey);
                } else {
                    delta(major, scratch, Path.of(f[2]), f[3], Path.of(f[4]), publicKey);
                }
                verdict = "accept";
            } catch (Refused e) {
                verdict = "reject\t" + e.getMessage();
            } catch (Exception e) {
                // Any exception fails the plugin's download (finishDownload catches Exception).
                Throwable t = e instanceof InvocationTargetException ? e.getCause() : e;
                verdict = "reject\t" + t.getClass().getSimpleName() + ": " + oneLine(t.getMessage());
            }
            System.out.println(f[0] + "\t" + verdict);
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ");
    }

    /** CryptoCipher.isValidSessionKey where the plugin has it (8.x); 7.x only tests emptiness. */
    private static boolean validSessionKey(int major, String ivSessionKey) throws Exception {
        if (major < 8) {
            return !ivSessionKey.isEmpty();
        }
        Method m = CryptoCipher.class.getMethod("isValidSessionKey", String.class);
        return (Boolean) m.invoke(null, ivSessionKey);
    }

    private static void bundle(int major, Path scratch, Path encrypted, String ivSessionKey, String checksum, String publicKey)
        throws Exception {
        if (checksum.isEmpty()) {
            throw new Refused("checksum_required");
        }
        if (!validSessionKey(major, ivSessionKey)) {
            throw new Refused("session_key_required");
        }
        // decryptFile replaces the file it is given: work on a copy, as the download would.
        File file = Files.copy(encrypted, scratch.resolve("bundle.zip"), StandardCopyOption.REPLACE_EXISTING).toFile();
        CryptoCipher.decryptFile(file, publicKey, ivSessionKey);
        String expected = CryptoCipher.decryptChecksum(checksum, publicKey);
        String actual = CryptoCipher.calcChecksum(file);
        if (!expected.equals(actual)) {
            throw new Refused("checksum_fail");
        }
    }

    private static void delta(int major, Path scratch, Path entries, String ivSessionKey, Path files, String publicKey)
        throws Exception {
        List<String> lines = Files.readAllLines(entries, StandardCharsets.UTF_8);
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] e = line.split("\t", -1);
            String name = e[0];
            String hash;
            try {
                hash = CryptoCipher.decryptChecksum(e[1], publicKey);
            } catch (Exception ex) {
                throw new Refused(name + ": file_hash does not decrypt: " + oneLine(ex.getMessage()));
            }
            File work = Files.copy(files.resolve(name), scratch.resolve("work.tmp"), StandardCopyOption.REPLACE_EXISTING).toFile();
            CryptoCipher.decryptFile(work, publicKey, ivSessionKey);
            File content = work;
            if (name.endsWith(".br")) {
                content = scratch.resolve("work.out").toFile();
                Process p = new ProcessBuilder("brotli", "-d", "-f", "-o", content.getPath(), work.getPath())
                    .redirectErrorStream(true)
                    .start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() != 0) {
                    throw new Refused(name + ": Brotli process failed");
                }
            }
            String actual = CryptoCipher.calcChecksum(content);
            boolean same = major >= 8 ? hash.equalsIgnoreCase(actual) : hash.equals(actual);
            if (!same) {
                throw new Refused(name + ": Checksum verification failed");
            }
        }
    }
}

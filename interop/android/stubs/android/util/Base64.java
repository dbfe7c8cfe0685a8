// A desktop stand-in for android.util.Base64, written for otaseal's interop test from the
// documented behaviour of AOSP's frameworks/base/core/java/android/util/Base64.java, because
// the plugin decodes ivSessionKey, signed checksums and its public key with it and the JDK's
// decoder is stricter. What matters, as on a device:
//   - decoding ignores every byte outside the alphabet and '=' (white space, '-', '_', '*' ...);
//   - '=' may only end the data: after 2 or 3 symbols of a quantum, and after 2 symbols a second
//     '=' must follow; nothing but ignored bytes may come after the padding;
//   - padding may be missing: 2 or 3 trailing symbols still give 1 or 2 bytes; 1 lone symbol is
//     an error; the unused low bits of the last symbol are not checked;
//   - an error throws IllegalArgumentException("bad base-64");
//   - encoding with DEFAULT pads and ends every 76 characters and the whole output with "\n".
package android.util;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

public final class Base64 {
    public static final int DEFAULT = 0;
    public static final int NO_PADDING = 1;
    public static final int NO_WRAP = 2;
    public static final int CRLF = 4;
    public static final int URL_SAFE = 8;
    public static final int NO_CLOSE = 16;

    private static final String STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private static final String WEB_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static final int IGNORED = -1;
    private static final int PAD = -2;

    private Base64() {}

    private static int value(byte b, String alphabet) {
        char c = (char) (b & 0xff);
        int v = alphabet.indexOf(c);
        if (v >= 0) {
            return v;
        }
        return c == '=' ? PAD : IGNORED;
    }

    public static byte[] decode(String str, int flags) {
        return decode(str.getBytes(StandardCharsets.US_ASCII), flags);
    }

    public static byte[] decode(byte[] input, int flags) {
        return decode(input, 0, input.length, flags);
    }

    public static byte[] decode(byte[] input, int offset, int len, int flags) {
        String alphabet = (flags & URL_SAFE) == 0 ? STANDARD : WEB_SAFE;
        ByteArrayOutputStream out = new ByteArrayOutputStream(len * 3 / 4 + 3);
        int symbols = 0; // symbols of the current quantum, 0..3
        int bits = 0;
        int pads = 0; // '=' seen: 0 none, then how many
        int padsWanted = 0;
        for (int i = offset; i < offset + len; i++) {
            int v = value(input[i], alphabet);
            if (v == IGNORED) {
                continue;
            }
            if (pads > 0) {
                // After padding only the missing second '=' may come.
                if (v == PAD && pads < padsWanted) {
                    pads++;
                    continue;
                }
                throw new IllegalArgumentException("bad base-64");
            }
            if (v == PAD) {
                if (symbols == 2) {
                    out.write(bits >> 4);
                    padsWanted = 2;
                } else if (symbols == 3) {
                    out.write(bits >> 10);
                    out.write(bits >> 2);
                    padsWanted = 1;
                } else {
                    throw new IllegalArgumentException("bad base-64");
                }
                pads = 1;
                symbols = 0;
                continue;
            }
            bits = (bits << 6) | v;
            symbols++;
            if (symbols == 4) {
                out.write(bits >> 16);
                out.write(bits >> 8);
                out.write(bits);
                symbols = 0;
                bits = 0;
            }
        }
        if (pads > 0 && pads < padsWanted) {
            throw new IllegalArgumentException("bad base-64");
        }
        switch (symbols) {
            case 0:
                break;
            case 2:
                out.write(bits >> 4);
                break;
            case 3:
                out.write(bits >> 10);
                out.write(bits >> 2);
                break;
            default:
                throw new IllegalArgumentException("bad base-64");
        }
        return out.toByteArray();
    }

    public static String encodeToString(byte[] input, int flags) {
        return new String(encode(input, flags), StandardCharsets.US_ASCII);
    }

    public static byte[] encode(byte[] input, int flags) {
        String alphabet = (flags & URL_SAFE) == 0 ? STANDARD : WEB_SAFE;
        StringBuilder plain = new StringBuilder();
        for (int i = 0; i < input.length; i += 3) {
            int n = Math.min(3, input.length - i);
            int v = (input[i] & 0xff) << 16;
            if (n > 1) v |= (input[i + 1] & 0xff) << 8;
            if (n > 2) v |= input[i + 2] & 0xff;
            plain.append(alphabet.charAt((v >> 18) & 63));
            plain.append(alphabet.charAt((v >> 12) & 63));
            if (n > 1) plain.append(alphabet.charAt((v >> 6) & 63));
            else if ((flags & NO_PADDING) == 0) plain.append('=');
            if (n > 2) plain.append(alphabet.charAt(v & 63));
            else if ((flags & NO_PADDING) == 0) plain.append('=');
        }
        if ((flags & NO_WRAP) != 0 || plain.length() == 0) {
            return plain.toString().getBytes(StandardCharsets.US_ASCII);
        }
        String newline = (flags & CRLF) != 0 ? "\r\n" : "\n";
        StringBuilder wrapped = new StringBuilder();
        for (int i = 0; i < plain.length(); i += 76) {
            wrapped.append(plain, i, Math.min(plain.length(), i + 76)).append(newline);
        }
        return wrapped.toString().getBytes(StandardCharsets.US_ASCII);
    }
}

package io.pglite.fs;

import io.pglite.fs.OpenFile.DeviceFile;
import io.pglite.fs.OpenFile.DirectoryFile;
import io.pglite.fs.OpenFile.PipeEnd;
import io.pglite.fs.OpenFile.RegularFile;
import java.io.Closeable;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A POSIX-like virtual file system for PostgreSQL running as WebAssembly: the object behind every Emscripten
 * {@code __syscall_*} file call and every WASI {@code fd_*} call of one wasm instance.
 *
 * <h2>Model</h2>
 * <ul>
 *   <li><b>Mount table</b>: {@link FileTreeLayer}s mounted at absolute paths; the longest matching mount point
 *       serves a path (e.g. {@code /} = overlay of memory over the package, {@code /pglite/data} = a
 *       host directory, {@code /tmp} and {@code /dev/shm} = memory). Renames across mounts fail with EXDEV.</li>
 *   <li><b>Paths</b>: relative paths resolve against the current directory ({@link #chdir}) or a directory
 *       descriptor; {@code .}, {@code ..} and symbolic links (stored by memory layers) are resolved here.
 *       While no mounted layer holds a symbolic link, resolution is purely lexical: no per-component lookups,
 *       which keeps {@code openat}/{@code stat} of relative paths like {@code base/5/1259} cheap.</li>
 *   <li><b>Descriptors</b>: one table shared by the {@code __syscall_*} and WASI families, lowest free number
 *       first, {@link #DEFAULT_MAX_OPEN_FILES} by default. Descriptors point at open file descriptions
 *       (position, status flags) that {@code dup} shares. 0/1/2 are {@link CharDevice}s: empty stdin,
 *       stdout/stderr line-buffered into SLF4J, replaceable with {@link #setStdio}.</li>
 *   <li><b>Devices</b>: {@code /dev/null}, {@code /dev/zero}, {@code /dev/urandom}, {@code /dev/random}, plus
 *       any registered with {@link #registerDevice}; they shadow whatever a layer has at that path.</li>
 *   <li><b>Pipes</b>: in-memory and always non-blocking ({@link #pipe2}).</li>
 * </ul>
 *
 * <h2>Conventions</h2>
 * Every operation mirrors a syscall and returns a value &gt;= 0 on success or a negated {@link Errno} value
 * (Emscripten/WASI numbering) on failure; nothing throws on the syscall paths. Flags use the Emscripten musl
 * values in {@link OpenFlags}. The process is treated as root: permission bits are stored and reported but not
 * enforced, except that read-only layers give EROFS and {@code X_OK} needs an execute bit on regular files.
 * Directory descriptors remember their path (as Emscripten does), so a directory renamed while open is
 * followed only for renames done through this VFS.
 *
 * <h2>Threading</h2>
 * Not thread-safe, by design: one VFS serves one wasm instance, which calls it from a single thread at a time,
 * so the hot paths ({@code pread}/{@code pwrite} of 8 KiB pages, {@code lseek} to the end, {@code openat},
 * {@code close}, {@code stat}) take no locks. Callers that share a VFS between threads must serialize all calls.
 */
public final class VirtualFileSystem implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(VirtualFileSystem.class);

    /** WASI file type: unknown. */
    public static final int FILETYPE_UNKNOWN = 0;
    /** WASI file type: character device (a terminal; see {@link #fileType}). */
    public static final int FILETYPE_CHARACTER_DEVICE = 2;
    /** WASI file type: directory. */
    public static final int FILETYPE_DIRECTORY = 3;
    /** WASI file type: regular file. */
    public static final int FILETYPE_REGULAR_FILE = 4;
    /** WASI file type: symbolic link. */
    public static final int FILETYPE_SYMBOLIC_LINK = 7;

    /** Time value for {@link #utimensat}: use the current time (the host maps nsec 0x3FFFFFFF to this). */
    public static final long UTIME_NOW = Long.MIN_VALUE;
    /** Time value for {@link #utimensat}: leave unchanged (the host maps nsec 0x3FFFFFFE to this). */
    public static final long UTIME_OMIT = Long.MIN_VALUE + 1;

    /** Longest accepted path in bytes of UTF-16 chars, like Linux PATH_MAX. */
    public static final int PATH_MAX = 4096;
    /** Longest accepted path component. */
    public static final int NAME_MAX = 255;
    /** Symbolic links followed in one resolution before ELOOP. */
    public static final int SYMLOOP_MAX = 40;
    /** Default size of the descriptor table. */
    public static final int DEFAULT_MAX_OPEN_FILES = 4096;
    /** Default umask. */
    public static final int DEFAULT_UMASK = 022;

    /** A mounted layer. Package-private: open files refer to it for st_dev and directory listings. */
    static final class Mount {
        final String point;
        final String parent;
        final String name;
        final FileTreeLayer layer;
        final long dev;

        Mount(String point, FileTreeLayer layer, long dev) {
            this.point = point;
            this.layer = layer;
            this.dev = dev;
            if (point.equals("/")) {
                parent = null;
                name = "";
            } else {
                int slash = point.lastIndexOf('/');
                parent = slash == 0 ? "/" : point.substring(0, slash);
                name = point.substring(slash + 1);
            }
        }

        String layerPath(String abs) {
            if (point.length() == 1) {
                return abs.substring(1);
            }
            return abs.length() == point.length() ? "" : abs.substring(point.length() + 1);
        }
    }

    private static final class Device {
        final CharDevice device;
        final String path;
        final String parent;
        final String name;
        final long ino;
        final long rdev;

        Device(CharDevice device, String path, long ino, long rdev) {
            this.device = device;
            this.path = path;
            int slash = path.lastIndexOf('/');
            this.parent = slash == 0 ? "/" : path.substring(0, slash);
            this.name = path.substring(slash + 1);
            this.ino = ino;
            this.rdev = rdev;
        }
    }

    /** Result of resolving a path: canonical absolute path, its mount and the path inside the layer. */
    private static final class Resolved {
        final String abs;
        final Mount mount;
        final String layerPath;
        final boolean mustBeDir;

        Resolved(String abs, Mount mount, String layerPath, boolean mustBeDir) {
            this.abs = abs;
            this.mount = mount;
            this.layerPath = layerPath;
            this.mustBeDir = mustBeDir;
        }
    }

    /** Mounts sorted by decreasing mount point length, so the first match is the longest prefix. */
    private Mount[] mounts = new Mount[0];
    private long nextDev = 1;
    private final HashMap<String, Device> devices = new HashMap<>();
    private final InoSpace specialInos = new InoSpace();
    private long nextRdev = (1 << 8) | 3;

    private final OpenFile[] table;
    private final int[] fdFlags;
    /** Invariant: every descriptor below this is open. */
    private int lowestFree;
    private int openCount;

    private String cwd = "/";
    private int umask = DEFAULT_UMASK;
    private final boolean ownsLayers;
    private boolean closed;
    /** errno of the last failed {@link #resolve}; valid only right after it returned null. */
    private int resolveErr;
    private final FileStat scratch = new FileStat();
    /** The devices installed on descriptors 0-2 by {@link #setStdio}, for {@link #restore}. */
    private final CharDevice[] stdio = new CharDevice[3];

    private VirtualFileSystem(Builder b) {
        table = new OpenFile[b.maxOpenFiles];
        fdFlags = new int[b.maxOpenFiles];
        umask = b.umask & 0777;
        ownsLayers = b.ownsLayers;
        for (Map.Entry<String, FileTreeLayer> e : b.mounts.entrySet()) {
            mount(e.getKey(), e.getValue());
        }
        if (mountFor("/") == null) {
            mount("/", new MemoryLayer());
        }
        if (b.standardDevices) {
            SecureRandom rnd = new SecureRandom();
            registerDevice("/dev/null", StandardDevices.nullDevice());
            registerDevice("/dev/zero", StandardDevices.zero());
            registerDevice("/dev/urandom", StandardDevices.random(rnd));
            registerDevice("/dev/random", StandardDevices.random(rnd));
        }
        setStdio(0, b.stdin != null ? b.stdin : StandardDevices.emptyInput());
        setStdio(1, b.stdout != null ? b.stdout
                : new LoggingCharDevice(LoggerFactory.getLogger("io.pglite.postgres.stdout"), LoggingCharDevice.Level.INFO));
        setStdio(2, b.stderr != null ? b.stderr
                : new LoggingCharDevice(LoggerFactory.getLogger("io.pglite.postgres.stderr"), LoggingCharDevice.Level.INFO));
        if (!b.cwd.equals("/")) {
            int r = chdir(b.cwd);
            if (r < 0) {
                throw new IllegalArgumentException("cannot chdir to " + b.cwd + ": " + Errno.name(r));
            }
        }
    }

    /** @return a builder; without mounts the root is an empty {@link MemoryLayer} */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures a {@link VirtualFileSystem}. */
    public static final class Builder {
        private final LinkedHashMap<String, FileTreeLayer> mounts = new LinkedHashMap<>();
        private int maxOpenFiles = DEFAULT_MAX_OPEN_FILES;
        private int umask = DEFAULT_UMASK;
        private String cwd = "/";
        private boolean standardDevices = true;
        private boolean ownsLayers = true;
        private CharDevice stdin;
        private CharDevice stdout;
        private CharDevice stderr;

        private Builder() {
        }

        /**
         * Mounts a layer (see {@link VirtualFileSystem#mount}); mounts are applied in the order given, so
         * mount parents first.
         *
         * @param mountPoint absolute path
         * @param layer      the layer; the VFS closes it on {@link VirtualFileSystem#close()}
         * @return this builder
         */
        public Builder mount(String mountPoint, FileTreeLayer layer) {
            mounts.put(mountPoint, Objects.requireNonNull(layer, "layer"));
            return this;
        }

        /**
         * @param max size of the descriptor table (at least 16)
         * @return this builder
         */
        public Builder maxOpenFiles(int max) {
            if (max < 16) {
                throw new IllegalArgumentException("maxOpenFiles must be >= 16");
            }
            this.maxOpenFiles = max;
            return this;
        }

        /**
         * @param mask initial umask (default 022)
         * @return this builder
         */
        public Builder umask(int mask) {
            this.umask = mask;
            return this;
        }

        /**
         * @param dir initial working directory; must exist when the VFS is built
         * @return this builder
         */
        public Builder cwd(String dir) {
            this.cwd = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * @param enabled whether to register /dev/null, /dev/zero, /dev/urandom and /dev/random (default on)
         * @return this builder
         */
        public Builder standardDevices(boolean enabled) {
            this.standardDevices = enabled;
            return this;
        }

        /**
         * Whether {@link VirtualFileSystem#close()} also closes the mounted layers (default {@code true}). Pass
         * {@code false} for a per-process view over layers that outlive it, e.g. initdb and the backend each
         * get their own descriptor table over one shared set of layers.
         *
         * @param owns whether the VFS owns (closes) its layers
         * @return this builder
         */
        public Builder ownsLayers(boolean owns) {
            this.ownsLayers = owns;
            return this;
        }

        /**
         * @param device device for descriptor 0 (default: empty input)
         * @return this builder
         */
        public Builder stdin(CharDevice device) {
            this.stdin = device;
            return this;
        }

        /**
         * @param device device for descriptor 1 (default: INFO lines to logger {@code io.pglite.postgres.stdout})
         * @return this builder
         */
        public Builder stdout(CharDevice device) {
            this.stdout = device;
            return this;
        }

        /**
         * @param device device for descriptor 2 (default: INFO lines to logger {@code io.pglite.postgres.stderr})
         * @return this builder
         */
        public Builder stderr(CharDevice device) {
            this.stderr = device;
            return this;
        }

        /** @return the file system */
        public VirtualFileSystem build() {
            return new VirtualFileSystem(this);
        }
    }

    // =========================================================================================================
    // Mounts and devices
    // =========================================================================================================

    /**
     * Mounts a layer at an absolute path, replacing an existing mount at the same point (the replaced layer is
     * not closed; that is the caller's business). If the mount point is missing in the enclosing writable layer
     * it is created there (mode 0755), so {@code stat} of the parent's path works; listings of the parent show
     * the mount point either way.
     *
     * @param mountPoint absolute path, e.g. {@code /pglite/data}
     * @param layer      the layer; the VFS closes it on {@link #close()}
     */
    public void mount(String mountPoint, FileTreeLayer layer) {
        Objects.requireNonNull(layer, "layer");
        String point = canonicalAbsolute(mountPoint);
        if (!point.equals("/")) {
            mkdirsInEnclosingLayer(point);
        }
        List<Mount> list = new ArrayList<>(Arrays.asList(mounts));
        list.removeIf(m -> m.point.equals(point));
        list.add(new Mount(point, layer, nextDev++));
        list.sort(Comparator.comparingInt((Mount m) -> m.point.length()).reversed());
        mounts = list.toArray(new Mount[0]);
        LOG.debug("mounted {} at {}", layer.getClass().getSimpleName(), point);
    }

    /**
     * Registers a character device at an absolute path (e.g. {@code /dev/blob}), replacing any device there.
     * The device shadows whatever a layer holds at that path. A missing parent directory is created in the
     * enclosing writable layer.
     *
     * @param path   absolute path
     * @param device the device
     */
    public void registerDevice(String path, CharDevice device) {
        Objects.requireNonNull(device, "device");
        String abs = canonicalAbsolute(path);
        if (abs.equals("/")) {
            throw new IllegalArgumentException("a device cannot be the root");
        }
        int slash = abs.lastIndexOf('/');
        if (slash > 0) {
            mkdirsInEnclosingLayer(abs.substring(0, slash));
        }
        Device old = devices.get(abs);
        devices.put(abs, new Device(device, abs, old != null ? old.ino : specialInos.allocate(),
                old != null ? old.rdev : nextRdev++));
    }

    /**
     * Removes a device registration. Descriptors already open on it keep working.
     *
     * @param path absolute path
     * @return whether a device was registered there
     */
    public boolean unregisterDevice(String path) {
        return devices.remove(canonicalAbsolute(path)) != null;
    }

    /**
     * Installs a device on a descriptor, typically 0 (stdin), 1 (stdout) or 2 (stderr), closing what was there.
     * stdin is opened read-only, other descriptors write-only.
     *
     * @param fd     descriptor number
     * @param device the device
     */
    public void setStdio(int fd, CharDevice device) {
        Objects.requireNonNull(device, "device");
        if (fd < 0 || fd >= table.length) {
            throw new IllegalArgumentException("bad descriptor " + fd);
        }
        DeviceFile of = new DeviceFile(device, fd == 0 ? OpenFlags.O_RDONLY : OpenFlags.O_WRONLY,
                fd < 3 ? STDIO_NAMES[fd] : "/dev/fd/" + fd, specialInos.allocate(), nextRdev++, 0);
        if (fd < 3) {
            stdio[fd] = device;
        }
        installAt(fd, of, 0);
    }

    private static final String[] STDIO_NAMES = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};

    /**
     * The mount table, e.g. to build another VFS (another process's view) over the same layers.
     *
     * @return mount point to layer, shortest mount point first (parents before children, the order
     *         {@link Builder#mount} wants); an unmodifiable snapshot
     */
    public Map<String, FileTreeLayer> mounts() {
        LinkedHashMap<String, FileTreeLayer> out = new LinkedHashMap<>();
        for (int i = mounts.length - 1; i >= 0; i--) {
            out.put(mounts[i].point, mounts[i].layer);
        }
        return Collections.unmodifiableMap(out);
    }

    private static String canonicalAbsolute(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("absolute path required: " + path);
        }
        StringBuilder sb = new StringBuilder();
        for (String c : path.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw new IllegalArgumentException("'..' not allowed: " + path);
            }
            sb.append('/').append(c);
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }

    private void mkdirsInEnclosingLayer(String abs) {
        Mount m = mountFor(abs);
        if (m == null || m.layer.isReadOnly()) {
            return;
        }
        String lp = m.layerPath(abs);
        if (lp.isEmpty()) {
            return;
        }
        FileStat st = new FileStat();
        int from = 0;
        while (true) {
            int slash = lp.indexOf('/', from);
            String prefix = slash < 0 ? lp : lp.substring(0, slash);
            if (m.layer.lstat(prefix, st) == -Errno.ENOENT) {
                int r = m.layer.mkdir(prefix, 0755);
                if (r < 0) {
                    LOG.debug("could not create {} in layer of {}: {}", prefix, m.point, Errno.name(r));
                    return;
                }
            }
            if (slash < 0) {
                return;
            }
            from = slash + 1;
        }
    }

    Mount mountFor(String abs) {
        for (Mount m : mounts) {
            String p = m.point;
            int pl = p.length();
            if (pl == 1 || (abs.startsWith(p) && (abs.length() == pl || abs.charAt(pl) == '/'))) {
                return m;
            }
        }
        return null;
    }

    private boolean anySymlinks() {
        for (Mount m : mounts) {
            if (m.layer.mayContainSymlinks()) {
                return true;
            }
        }
        return false;
    }

    // =========================================================================================================
    // Path resolution
    // =========================================================================================================

    /** Base directory for a relative path: cwd or the directory descriptor's path; null + resolveErr on error. */
    private String baseDir(int dirfd, String path) {
        if (path.charAt(0) == '/') {
            return "/";
        }
        if (dirfd == OpenFlags.AT_FDCWD) {
            return cwd;
        }
        OpenFile of = dirfd >= 0 && dirfd < table.length ? table[dirfd] : null;
        if (of == null) {
            resolveErr = Errno.EBADF;
            return null;
        }
        if (!(of instanceof DirectoryFile)) {
            resolveErr = Errno.ENOTDIR;
            return null;
        }
        return of.path;
    }

    /**
     * Resolves {@code path} relative to {@code dirfd}. Follows symbolic links in all components but the last,
     * and in the last one too if {@code followLast}. Returns null with {@link #resolveErr} on failure.
     */
    private Resolved resolve(int dirfd, String path, boolean followLast) {
        if (path == null) {
            resolveErr = Errno.EFAULT;
            return null;
        }
        if (path.isEmpty()) {
            resolveErr = Errno.ENOENT;
            return null;
        }
        if (path.length() > PATH_MAX) {
            resolveErr = Errno.ENAMETOOLONG;
            return null;
        }
        String base = baseDir(dirfd, path);
        if (base == null) {
            return null;
        }
        boolean mustBeDir = path.length() > 1 && path.charAt(path.length() - 1) == '/';
        String abs = anySymlinks() ? walk(base, path, followLast || mustBeDir) : lexical(base, path);
        if (abs == null) {
            return null;
        }
        Mount m = mountFor(abs);
        return new Resolved(abs, m, m.layerPath(abs), mustBeDir);
    }

    /**
     * Checks whether path components from {@code start} are already canonical: no empty, "." or ".."
     * components. Returns 1 if clean, 0 if normalization is needed, -1 if a component exceeds NAME_MAX.
     */
    private static int cleanness(String p, int start) {
        int len = p.length();
        if (start >= len) {
            return start == 1 ? 1 : 0;
        }
        int s = start;
        while (true) {
            int slash = p.indexOf('/', s);
            int e = slash < 0 ? len : slash;
            int cl = e - s;
            if (cl == 0) {
                return 0;
            }
            if (cl > NAME_MAX) {
                return -1;
            }
            if (p.charAt(s) == '.' && (cl == 1 || (cl == 2 && p.charAt(s + 1) == '.'))) {
                return 0;
            }
            if (slash < 0) {
                return 1;
            }
            s = slash + 1;
        }
    }

    /** Joins and normalizes lexically (valid while no symbolic links exist). */
    private String lexical(String base, String path) {
        boolean absolute = path.charAt(0) == '/';
        int clean = cleanness(path, absolute ? 1 : 0);
        if (clean < 0) {
            resolveErr = Errno.ENAMETOOLONG;
            return null;
        }
        if (clean == 1) {
            if (absolute) {
                return path;
            }
            return base.length() == 1 ? "/" + path : base + "/" + path;
        }
        ArrayList<String> parts = new ArrayList<>();
        if (!absolute) {
            splitInto(base, parts);
        }
        for (String c : path.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
                continue;
            }
            if (c.length() > NAME_MAX) {
                resolveErr = Errno.ENAMETOOLONG;
                return null;
            }
            parts.add(c);
        }
        return join(parts);
    }

    private static void splitInto(String abs, List<String> parts) {
        for (String c : abs.split("/")) {
            if (!c.isEmpty()) {
                parts.add(c);
            }
        }
    }

    private static String join(List<String> parts) {
        if (parts.isEmpty()) {
            return "/";
        }
        StringBuilder sb = new StringBuilder();
        for (String c : parts) {
            sb.append('/').append(c);
        }
        return sb.toString();
    }

    /** Component-by-component resolution that follows symbolic links (used once any layer holds one). */
    private String walk(String base, String path, boolean followLast) {
        ArrayDeque<String> todo = new ArrayDeque<>();
        for (String c : path.split("/")) {
            todo.addLast(c);
        }
        ArrayList<String> done = new ArrayList<>();
        if (path.charAt(0) != '/') {
            splitInto(base, done);
        }
        int links = 0;
        FileStat st = new FileStat();
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            if (c.length() > NAME_MAX) {
                resolveErr = Errno.ENAMETOOLONG;
                return null;
            }
            done.add(c);
            boolean last = onlyTrivialLeft(todo);
            if (last && !followLast) {
                break;
            }
            String abs = join(done);
            if (devices.containsKey(abs)) {
                continue;
            }
            Mount m = mountFor(abs);
            if (!m.layer.mayContainSymlinks()) {
                continue;
            }
            String lp = m.layerPath(abs);
            int r = m.layer.lstat(lp, st);
            if (r < 0) {
                if (last) {
                    break;
                }
                resolveErr = -r;
                return null;
            }
            if (st.isSymlink()) {
                if (++links > SYMLOOP_MAX) {
                    resolveErr = Errno.ELOOP;
                    return null;
                }
                String target = m.layer.readlink(lp);
                if (target == null || target.isEmpty()) {
                    resolveErr = Errno.ENOENT;
                    return null;
                }
                done.remove(done.size() - 1);
                if (target.charAt(0) == '/') {
                    done.clear();
                }
                String[] tc = target.split("/");
                for (int i = tc.length - 1; i >= 0; i--) {
                    todo.addFirst(tc[i]);
                }
            } else if (!last && !st.isDirectory()) {
                resolveErr = Errno.ENOTDIR;
                return null;
            }
        }
        return join(done);
    }

    private static boolean onlyTrivialLeft(ArrayDeque<String> todo) {
        for (String c : todo) {
            if (!c.isEmpty() && !c.equals(".")) {
                return false;
            }
        }
        return true;
    }

    // =========================================================================================================
    // Descriptor table
    // =========================================================================================================

    private int allocFd(int min) {
        for (int fd = Math.max(min, lowestFree); fd < table.length; fd++) {
            if (table[fd] == null) {
                return fd;
            }
        }
        return -1;
    }

    private int install(OpenFile of, int fdFlag) {
        int fd = allocFd(0);
        if (fd < 0) {
            of.refs = 0;
            of.release();
            return -Errno.EMFILE;
        }
        installAt(fd, of, fdFlag);
        return fd;
    }

    /** Puts {@code of} at {@code fd} (closing what was there) without touching its reference count. */
    private void installAt(int fd, OpenFile of, int fdFlag) {
        OpenFile old = table[fd];
        table[fd] = of;
        fdFlags[fd] = fdFlag;
        if (old != null) {
            unref(old);
        } else {
            openCount++;
        }
        if (fd == lowestFree) {
            while (lowestFree < table.length && table[lowestFree] != null) {
                lowestFree++;
            }
        }
    }

    private static void unref(OpenFile of) {
        if (--of.refs == 0) {
            of.release();
        }
    }

    private OpenFile get(int fd) {
        return fd >= 0 && fd < table.length ? table[fd] : null;
    }

    /** @return number of open descriptors */
    public int openFileCount() {
        return openCount;
    }

    /**
     * @param fd descriptor
     * @return whether the descriptor is open
     */
    public boolean isOpen(int fd) {
        return get(fd) != null;
    }

    /**
     * The absolute path an open descriptor was opened with (for diagnostics and for the host's file-backed
     * {@code mmap}); pipes have a label such as {@code pipe:[n]}.
     *
     * @param fd descriptor
     * @return the path, or null if not open
     */
    public String pathOf(int fd) {
        OpenFile of = get(fd);
        return of == null ? null : of.path;
    }

    // =========================================================================================================
    // open / close / dup
    // =========================================================================================================

    /**
     * {@code openat(2)}: opens or creates a file, directory or device.
     *
     * @param dirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor for relative paths
     * @param path  path
     * @param flags {@code O_*} flags (Emscripten values)
     * @param mode  permission bits for {@code O_CREAT}; the umask is applied
     * @return the new descriptor (lowest free) or {@code -errno}
     */
    public int openat(int dirfd, String path, int flags, int mode) {
        if (closed) {
            return -Errno.EIO;
        }
        boolean creat = (flags & OpenFlags.O_CREAT) != 0;
        boolean excl = creat && (flags & OpenFlags.O_EXCL) != 0;
        boolean follow = (flags & OpenFlags.O_NOFOLLOW) == 0 && !excl;
        Resolved r = resolve(dirfd, path, follow);
        if (r == null) {
            return -resolveErr;
        }
        if (openCount >= table.length) {
            return -Errno.EMFILE;
        }
        int acc = flags & OpenFlags.O_ACCMODE;
        boolean wantWrite = acc != OpenFlags.O_RDONLY;
        int statusFlags = flags & ~(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOCTTY | OpenFlags.O_TRUNC
                | OpenFlags.O_CLOEXEC);
        int fdFlag = (flags & OpenFlags.O_CLOEXEC) != 0 ? OpenFlags.FD_CLOEXEC : 0;

        Device dev = devices.get(r.abs);
        if (dev != null) {
            if (excl) {
                return -Errno.EEXIST;
            }
            if ((flags & OpenFlags.O_DIRECTORY) != 0 || r.mustBeDir) {
                return -Errno.ENOTDIR;
            }
            int e = dev.device.open(flags);
            if (e < 0) {
                return e;
            }
            return install(new DeviceFile(dev.device, statusFlags, r.abs, dev.ino, dev.rdev, r.mount.dev), fdFlag);
        }

        FileTreeLayer layer = r.mount.layer;
        FileStat st = scratch.clear();
        int e = layer.lstat(r.layerPath, st);
        boolean created = false;
        if (e == 0) {
            if (excl) {
                return -Errno.EEXIST;
            }
            if (st.isSymlink()) {
                return -Errno.ELOOP;
            }
            if (st.isDirectory()) {
                if (wantWrite || creat) {
                    return -Errno.EISDIR;
                }
                return install(new DirectoryFile(statusFlags, r.abs, r.mount, r.layerPath), fdFlag);
            }
            if ((flags & OpenFlags.O_DIRECTORY) != 0 || r.mustBeDir) {
                return -Errno.ENOTDIR;
            }
            if (!st.isRegularFile()) {
                return -Errno.ENXIO;
            }
        } else if (e == -Errno.ENOENT && creat) {
            if ((flags & OpenFlags.O_DIRECTORY) != 0) {
                return -Errno.EINVAL;
            }
            if (r.mustBeDir) {
                return -Errno.EISDIR;
            }
            if (layer.isReadOnly()) {
                return -Errno.EROFS;
            }
            e = layer.createFile(r.layerPath, mode & ~umask & FileStat.PERMISSION_MASK);
            if (e < 0) {
                return e;
            }
            created = true;
        } else {
            return e;
        }
        if (wantWrite && layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        FileHandle h;
        try {
            h = layer.open(r.layerPath, wantWrite);
        } catch (FsException ex) {
            return -ex.errno();
        }
        if (wantWrite && !created && (flags & OpenFlags.O_TRUNC) != 0) {
            e = h.truncate(0);
            if (e < 0) {
                h.close();
                return e;
            }
        }
        return install(new RegularFile(h, statusFlags, r.abs, r.mount), fdFlag);
    }

    /**
     * {@code open(2)} relative to the current directory.
     *
     * @param path  path
     * @param flags {@code O_*} flags
     * @param mode  permission bits for {@code O_CREAT}
     * @return descriptor or {@code -errno}
     */
    public int open(String path, int flags, int mode) {
        return openat(OpenFlags.AT_FDCWD, path, flags, mode);
    }

    /**
     * {@code close(2)} / WASI {@code fd_close}.
     *
     * @param fd descriptor
     * @return 0 or {@code -EBADF}
     */
    public int close(int fd) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        table[fd] = null;
        fdFlags[fd] = 0;
        openCount--;
        if (fd < lowestFree) {
            lowestFree = fd;
        }
        unref(of);
        return 0;
    }

    /**
     * {@code dup(2)}: a new descriptor (lowest free) sharing the open file description.
     *
     * @param fd descriptor
     * @return new descriptor, {@code -EBADF} or {@code -EMFILE}
     */
    public int dup(int fd) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        int nfd = allocFd(0);
        if (nfd < 0) {
            return -Errno.EMFILE;
        }
        of.refs++;
        installAt(nfd, of, 0);
        return nfd;
    }

    /**
     * {@code dup3(2)}: makes {@code newfd} refer to {@code oldfd}'s open file description, silently closing
     * what {@code newfd} referred to.
     *
     * @param oldfd source descriptor
     * @param newfd target descriptor
     * @param flags 0 or {@link OpenFlags#O_CLOEXEC}
     * @return {@code newfd} or {@code -errno} (EINVAL if equal or bad flags, EBADF)
     */
    public int dup3(int oldfd, int newfd, int flags) {
        if ((flags & ~OpenFlags.O_CLOEXEC) != 0) {
            return -Errno.EINVAL;
        }
        OpenFile of = get(oldfd);
        if (of == null || newfd < 0 || newfd >= table.length) {
            return -Errno.EBADF;
        }
        if (oldfd == newfd) {
            return -Errno.EINVAL;
        }
        of.refs++;
        installAt(newfd, of, (flags & OpenFlags.O_CLOEXEC) != 0 ? OpenFlags.FD_CLOEXEC : 0);
        return newfd;
    }

    /**
     * {@code dup2(2)}: like {@link #dup3} but {@code oldfd == newfd} is a no-op success.
     *
     * @param oldfd source descriptor
     * @param newfd target descriptor
     * @return {@code newfd} or {@code -errno}
     */
    public int dup2(int oldfd, int newfd) {
        if (oldfd == newfd) {
            return get(oldfd) != null ? newfd : -Errno.EBADF;
        }
        return dup3(oldfd, newfd, 0);
    }

    // =========================================================================================================
    // I/O
    // =========================================================================================================

    /**
     * {@code read(2)} at the descriptor's position, advancing it.
     *
     * @param fd  descriptor
     * @param dst destination
     * @param off offset in {@code dst}
     * @param len maximum bytes
     * @return bytes read (0 = end of file) or {@code -errno} (EBADF, EISDIR, EAGAIN for an empty pipe)
     */
    public int read(int fd, byte[] dst, int off, int len) {
        OpenFile of = get(fd);
        return of == null ? -Errno.EBADF : of.read(dst, off, len);
    }

    /**
     * {@code write(2)} at the descriptor's position (or the end with {@code O_APPEND}), advancing it.
     *
     * @param fd  descriptor
     * @param src source
     * @param off offset in {@code src}
     * @param len bytes to write
     * @return bytes written or {@code -errno}
     */
    public int write(int fd, byte[] src, int off, int len) {
        OpenFile of = get(fd);
        return of == null ? -Errno.EBADF : of.write(src, off, len);
    }

    /**
     * {@code pread(2)}: reads at an explicit position without moving the descriptor's position.
     *
     * @param fd       descriptor
     * @param dst      destination
     * @param off      offset in {@code dst}
     * @param len      maximum bytes
     * @param position file offset
     * @return bytes read or {@code -errno} (ESPIPE on pipes and stream devices)
     */
    public int pread(int fd, byte[] dst, int off, int len, long position) {
        OpenFile of = get(fd);
        return of == null ? -Errno.EBADF : of.pread(dst, off, len, position);
    }

    /**
     * {@code pwrite(2)}: writes at an explicit position without moving the descriptor's position; a position
     * beyond the end leaves a zero-filled gap.
     *
     * @param fd       descriptor
     * @param src      source
     * @param off      offset in {@code src}
     * @param len      bytes
     * @param position file offset
     * @return bytes written or {@code -errno}
     */
    public int pwrite(int fd, byte[] src, int off, int len, long position) {
        OpenFile of = get(fd);
        return of == null ? -Errno.EBADF : of.pwrite(src, off, len, position);
    }

    /**
     * {@code lseek(2)} / WASI {@code fd_seek}. For directories the position counts entries (see
     * {@link #readdir}); the host converts to and from its record byte offsets.
     *
     * @param fd     descriptor
     * @param offset offset
     * @param whence {@link OpenFlags#SEEK_SET}, {@link OpenFlags#SEEK_CUR} or {@link OpenFlags#SEEK_END}
     * @return the new position or {@code -errno} (ESPIPE for pipes and stream devices, EINVAL)
     */
    public long seek(int fd, long offset, int whence) {
        OpenFile of = get(fd);
        return of == null ? -Errno.EBADF : of.seek(offset, whence);
    }

    // =========================================================================================================
    // stat family
    // =========================================================================================================

    /**
     * {@code fstat(2)}.
     *
     * @param fd  descriptor
     * @param out filled on success
     * @return 0 or {@code -errno}
     */
    public int fstat(int fd, FileStat out) {
        OpenFile of = get(fd);
        return of == null ? -Errno.EBADF : of.stat(out);
    }

    /**
     * {@code fstatat(2)} ({@code stat64}, {@code lstat64}, {@code newfstatat}).
     *
     * @param dirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor
     * @param path  path; empty with {@link OpenFlags#AT_EMPTY_PATH} means {@code dirfd} itself
     * @param flags {@link OpenFlags#AT_SYMLINK_NOFOLLOW} (lstat), {@link OpenFlags#AT_EMPTY_PATH}
     * @param out   filled on success
     * @return 0 or {@code -errno}
     */
    public int stat(int dirfd, String path, int flags, FileStat out) {
        if (path != null && path.isEmpty() && (flags & OpenFlags.AT_EMPTY_PATH) != 0) {
            return dirfd == OpenFlags.AT_FDCWD ? stat(OpenFlags.AT_FDCWD, ".", flags, out) : fstat(dirfd, out);
        }
        Resolved r = resolve(dirfd, path, (flags & OpenFlags.AT_SYMLINK_NOFOLLOW) == 0);
        if (r == null) {
            return -resolveErr;
        }
        Device dev = devices.get(r.abs);
        if (dev != null) {
            if (r.mustBeDir) {
                return -Errno.ENOTDIR;
            }
            fillDeviceStat(out, dev.device, dev.ino, dev.rdev, r.mount.dev);
            return 0;
        }
        out.clear();
        int e = r.mount.layer.lstat(r.layerPath, out);
        if (e < 0) {
            return e;
        }
        if (r.mustBeDir && !out.isDirectory()) {
            return -Errno.ENOTDIR;
        }
        out.dev = r.mount.dev;
        return 0;
    }

    /**
     * {@code stat(2)} relative to the current directory, following symbolic links.
     *
     * @param path path
     * @param out  filled on success
     * @return 0 or {@code -errno}
     */
    public int stat(String path, FileStat out) {
        return stat(OpenFlags.AT_FDCWD, path, 0, out);
    }

    /**
     * {@code lstat(2)} relative to the current directory.
     *
     * @param path path
     * @param out  filled on success
     * @return 0 or {@code -errno}
     */
    public int lstat(String path, FileStat out) {
        return stat(OpenFlags.AT_FDCWD, path, OpenFlags.AT_SYMLINK_NOFOLLOW, out);
    }

    /** Time reported for devices: when this class was loaded, a stand-in for "boot time". */
    private static final long DEVICE_TIME_NS = MemoryLayer.nowNs();

    static void fillDeviceStat(FileStat out, CharDevice device, long ino, long rdev, long dev) {
        out.clear();
        out.atimeNs = DEVICE_TIME_NS;
        out.mtimeNs = DEVICE_TIME_NS;
        out.ctimeNs = DEVICE_TIME_NS;
        out.dev = dev;
        out.ino = ino;
        out.mode = FileStat.S_IFCHR | 0666;
        out.nlink = 1;
        out.rdev = rdev;
        out.size = device.isSeekable() ? Math.max(0, device.size()) : 0;
    }

    /**
     * {@code faccessat(2)}. As root, read and write are always granted except write on a read-only layer
     * (EROFS); {@code X_OK} needs an execute bit on a regular file.
     *
     * @param dirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor
     * @param path  path
     * @param amode {@code F_OK} or a combination of {@code R_OK}, {@code W_OK}, {@code X_OK}
     * @param flags {@link OpenFlags#AT_SYMLINK_NOFOLLOW}, {@link OpenFlags#AT_EACCESS}
     * @return 0 or {@code -errno}
     */
    public int faccessat(int dirfd, String path, int amode, int flags) {
        if ((amode & ~7) != 0) {
            return -Errno.EINVAL;
        }
        Resolved r = resolve(dirfd, path, (flags & OpenFlags.AT_SYMLINK_NOFOLLOW) == 0);
        if (r == null) {
            return -resolveErr;
        }
        if (devices.containsKey(r.abs)) {
            return 0;
        }
        FileStat st = scratch.clear();
        int e = r.mount.layer.lstat(r.layerPath, st);
        if (e < 0) {
            return e;
        }
        if (r.mustBeDir && !st.isDirectory()) {
            return -Errno.ENOTDIR;
        }
        if ((amode & OpenFlags.W_OK) != 0 && r.mount.layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        if ((amode & OpenFlags.X_OK) != 0 && !st.isDirectory() && (st.mode & 0111) == 0) {
            return -Errno.EACCES;
        }
        return 0;
    }

    // =========================================================================================================
    // Namespace operations
    // =========================================================================================================

    /**
     * {@code mkdirat(2)}.
     *
     * @param dirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor
     * @param path  path of the new directory
     * @param mode  permission bits; the umask is applied
     * @return 0 or {@code -errno} (EEXIST, ENOENT, ENOTDIR, EROFS)
     */
    public int mkdirat(int dirfd, String path, int mode) {
        Resolved r = resolve(dirfd, path, false);
        if (r == null) {
            return -resolveErr;
        }
        if (devices.containsKey(r.abs) || r.layerPath.isEmpty()) {
            return -Errno.EEXIST;
        }
        FileTreeLayer layer = r.mount.layer;
        int e = layer.lstat(r.layerPath, scratch.clear());
        if (e == 0) {
            return -Errno.EEXIST;
        }
        if (e != -Errno.ENOENT) {
            return e;
        }
        if (layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        return layer.mkdir(r.layerPath, mode & ~umask & FileStat.PERMISSION_MASK);
    }

    /**
     * {@code mkdir(2)} relative to the current directory.
     *
     * @param path path
     * @param mode permission bits; the umask is applied
     * @return 0 or {@code -errno}
     */
    public int mkdir(String path, int mode) {
        return mkdirat(OpenFlags.AT_FDCWD, path, mode);
    }

    /**
     * {@code unlinkat(2)}; with {@link OpenFlags#AT_REMOVEDIR} it is {@code rmdir(2)}.
     *
     * @param dirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor
     * @param path  path
     * @param flags 0 or {@link OpenFlags#AT_REMOVEDIR}
     * @return 0 or {@code -errno} (ENOENT, EISDIR, ENOTDIR, ENOTEMPTY, EBUSY for mount points, EROFS)
     */
    public int unlinkat(int dirfd, String path, int flags) {
        if ((flags & ~OpenFlags.AT_REMOVEDIR) != 0) {
            return -Errno.EINVAL;
        }
        boolean rmdir = (flags & OpenFlags.AT_REMOVEDIR) != 0;
        if (rmdir && path != null && (path.equals(".") || path.endsWith("/."))) {
            return -Errno.EINVAL;
        }
        Resolved r = resolve(dirfd, path, false);
        if (r == null) {
            return -resolveErr;
        }
        if (devices.containsKey(r.abs)) {
            return rmdir ? -Errno.ENOTDIR : -Errno.EPERM;
        }
        if (r.layerPath.isEmpty()) {
            return -Errno.EBUSY;
        }
        FileTreeLayer layer = r.mount.layer;
        FileStat st = scratch.clear();
        int e = layer.lstat(r.layerPath, st);
        if (e < 0) {
            return e;
        }
        if (layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        if (rmdir) {
            if (!st.isDirectory()) {
                return -Errno.ENOTDIR;
            }
            if (hasMountsOrDevicesIn(r.abs)) {
                return -Errno.ENOTEMPTY;
            }
            return layer.rmdir(r.layerPath);
        }
        if (st.isDirectory()) {
            return -Errno.EISDIR;
        }
        if (r.mustBeDir) {
            return -Errno.ENOTDIR;
        }
        return layer.unlink(r.layerPath);
    }

    /**
     * {@code unlink(2)} relative to the current directory.
     *
     * @param path path
     * @return 0 or {@code -errno}
     */
    public int unlink(String path) {
        return unlinkat(OpenFlags.AT_FDCWD, path, 0);
    }

    /**
     * {@code rmdir(2)} relative to the current directory.
     *
     * @param path path
     * @return 0 or {@code -errno}
     */
    public int rmdir(String path) {
        return unlinkat(OpenFlags.AT_FDCWD, path, OpenFlags.AT_REMOVEDIR);
    }

    private boolean hasMountsOrDevicesIn(String dir) {
        for (Mount m : mounts) {
            if (dir.equals(m.parent)) {
                return true;
            }
        }
        for (Device d : devices.values()) {
            if (dir.equals(d.parent)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code renameat(2)}: atomically moves a file or directory, replacing an existing non-directory target, or
     * an empty directory target when moving a directory.
     *
     * @param olddirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor for {@code oldPath}
     * @param oldPath  source
     * @param newdirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor for {@code newPath}
     * @param newPath  target
     * @return 0 or {@code -errno} (ENOENT, EXDEV across mounts, EISDIR, ENOTDIR, ENOTEMPTY, EINVAL, EBUSY)
     */
    public int renameat(int olddirfd, String oldPath, int newdirfd, String newPath) {
        Resolved from = resolve(olddirfd, oldPath, false);
        if (from == null) {
            return -resolveErr;
        }
        Resolved to = resolve(newdirfd, newPath, false);
        if (to == null) {
            return -resolveErr;
        }
        if (devices.containsKey(from.abs) || devices.containsKey(to.abs)) {
            return -Errno.EPERM;
        }
        if (from.mount != to.mount) {
            return -Errno.EXDEV;
        }
        if (from.layerPath.isEmpty() || to.layerPath.isEmpty()) {
            return -Errno.EBUSY;
        }
        FileTreeLayer layer = from.mount.layer;
        FileStat fromSt = new FileStat();
        int e = layer.lstat(from.layerPath, fromSt);
        if (e < 0) {
            return e;
        }
        if (from.abs.equals(to.abs)) {
            return 0;
        }
        if (to.abs.startsWith(from.abs + "/")) {
            return -Errno.EINVAL;
        }
        FileStat toSt = new FileStat();
        e = layer.lstat(to.layerPath, toSt);
        if (e == 0) {
            if (fromSt.isDirectory()) {
                if (!toSt.isDirectory()) {
                    return -Errno.ENOTDIR;
                }
                List<DirEntry> entries = new ArrayList<>();
                e = layer.list(to.layerPath, entries);
                if (e < 0) {
                    return e;
                }
                if (!entries.isEmpty() || hasMountsOrDevicesIn(to.abs)) {
                    return -Errno.ENOTEMPTY;
                }
            } else if (toSt.isDirectory()) {
                return -Errno.EISDIR;
            }
        } else if (e != -Errno.ENOENT) {
            return e;
        } else if (!fromSt.isDirectory() && (to.mustBeDir || from.mustBeDir)) {
            return -Errno.ENOTDIR;
        }
        if (layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        if (fromSt.isDirectory() && hasMountsOrDevicesBelow(from.abs)) {
            return -Errno.EBUSY;
        }
        e = layer.rename(from.layerPath, to.layerPath);
        if (e == 0 && fromSt.isDirectory()) {
            rebasePaths(from.abs, to.abs, from.mount);
        }
        return e;
    }

    /**
     * {@code rename(2)} relative to the current directory.
     *
     * @param oldPath source
     * @param newPath target
     * @return 0 or {@code -errno}
     */
    public int rename(String oldPath, String newPath) {
        return renameat(OpenFlags.AT_FDCWD, oldPath, OpenFlags.AT_FDCWD, newPath);
    }

    private boolean hasMountsOrDevicesBelow(String dir) {
        String prefix = dir + "/";
        for (Mount m : mounts) {
            if (m.point.startsWith(prefix)) {
                return true;
            }
        }
        for (Device d : devices.values()) {
            if (d.path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** After a directory rename, keeps the cwd and open descriptors' remembered paths pointing at it. */
    private void rebasePaths(String oldAbs, String newAbs, Mount mount) {
        cwd = rebase(cwd, oldAbs, newAbs);
        Set<OpenFile> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (OpenFile of : table) {
            if (of == null || !seen.add(of) || of instanceof PipeEnd) {
                continue;
            }
            String p = rebase(of.path, oldAbs, newAbs);
            if (p != of.path) {
                of.path = p;
                if (of instanceof DirectoryFile) {
                    ((DirectoryFile) of).layerPath = mount.layerPath(p);
                }
            }
        }
    }

    private static String rebase(String path, String oldAbs, String newAbs) {
        if (path.equals(oldAbs)) {
            return newAbs;
        }
        if (path.startsWith(oldAbs) && path.length() > oldAbs.length() && path.charAt(oldAbs.length()) == '/') {
            return newAbs + path.substring(oldAbs.length());
        }
        return path;
    }

    /**
     * {@code readlinkat(2)}: copies a symbolic link's target (UTF-8, not NUL-terminated, truncated to
     * {@code len}).
     *
     * @param dirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor
     * @param path  path of the link
     * @param buf   destination
     * @param off   offset in {@code buf}
     * @param len   capacity
     * @return bytes copied or {@code -errno} (EINVAL if not a symbolic link, ENOENT)
     */
    public int readlinkat(int dirfd, String path, byte[] buf, int off, int len) {
        if (len <= 0) {
            return -Errno.EINVAL;
        }
        String[] target = new String[1];
        int e = readlinkat(dirfd, path, target);
        if (e < 0) {
            return e;
        }
        byte[] bytes = target[0].getBytes(StandardCharsets.UTF_8);
        int n = Math.min(len, bytes.length);
        System.arraycopy(bytes, 0, buf, off, n);
        return n;
    }

    /**
     * {@code readlinkat(2)} returning the whole target as a string (the caller truncates to its buffer).
     *
     * @param dirfd  {@link OpenFlags#AT_FDCWD} or a directory descriptor
     * @param path   path of the link
     * @param target {@code target[0]} receives the link contents on success
     * @return 0 or {@code -errno} (EINVAL if not a symbolic link, ENOENT)
     */
    public int readlinkat(int dirfd, String path, String[] target) {
        Resolved r = resolve(dirfd, path, false);
        if (r == null) {
            return -resolveErr;
        }
        if (devices.containsKey(r.abs)) {
            return -Errno.EINVAL;
        }
        FileStat st = scratch.clear();
        int e = r.mount.layer.lstat(r.layerPath, st);
        if (e < 0) {
            return e;
        }
        String t = st.isSymlink() ? r.mount.layer.readlink(r.layerPath) : null;
        if (t == null) {
            return -Errno.EINVAL;
        }
        target[0] = t;
        return 0;
    }

    /**
     * {@code symlinkat(2)}. Only layers that store links (memory layers, overlays over them) support it.
     *
     * @param target   link contents
     * @param newdirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor
     * @param linkPath path of the new link
     * @return 0 or {@code -errno} (EEXIST, ENOENT, EPERM if the layer cannot store links)
     */
    public int symlinkat(String target, int newdirfd, String linkPath) {
        if (target == null) {
            return -Errno.EFAULT;
        }
        if (target.isEmpty()) {
            return -Errno.ENOENT;
        }
        Resolved r = resolve(newdirfd, linkPath, false);
        if (r == null) {
            return -resolveErr;
        }
        if (devices.containsKey(r.abs) || r.layerPath.isEmpty()) {
            return -Errno.EEXIST;
        }
        FileTreeLayer layer = r.mount.layer;
        int e = layer.lstat(r.layerPath, scratch.clear());
        if (e == 0) {
            return -Errno.EEXIST;
        }
        if (e != -Errno.ENOENT) {
            return e;
        }
        if (layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        return layer.symlink(target, r.layerPath);
    }

    // =========================================================================================================
    // Size, sync, metadata
    // =========================================================================================================

    /**
     * {@code truncate(2)} ({@code truncate64}) relative to the current directory.
     *
     * @param path   path of a regular file
     * @param length new size
     * @return 0 or {@code -errno} (EISDIR, EINVAL, EROFS, ENOENT)
     */
    public int truncate(String path, long length) {
        if (length < 0) {
            return -Errno.EINVAL;
        }
        Resolved r = resolve(OpenFlags.AT_FDCWD, path, true);
        if (r == null) {
            return -resolveErr;
        }
        if (devices.containsKey(r.abs)) {
            return 0;
        }
        FileTreeLayer layer = r.mount.layer;
        FileStat st = scratch.clear();
        int e = layer.lstat(r.layerPath, st);
        if (e < 0) {
            return e;
        }
        if (st.isDirectory()) {
            return -Errno.EISDIR;
        }
        if (!st.isRegularFile()) {
            return -Errno.EINVAL;
        }
        if (layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        FileHandle h;
        try {
            h = layer.open(r.layerPath, true);
        } catch (FsException ex) {
            return -ex.errno();
        }
        try {
            return h.truncate(length);
        } finally {
            h.close();
        }
    }

    /**
     * {@code ftruncate(2)}.
     *
     * @param fd     descriptor of a regular file open for writing
     * @param length new size
     * @return 0 or {@code -errno} (EBADF if not writable, EINVAL for non-files or a negative length)
     */
    public int ftruncate(int fd, long length) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        if (length < 0) {
            return -Errno.EINVAL;
        }
        if (of instanceof DeviceFile) {
            return 0;
        }
        if (!(of instanceof RegularFile)) {
            return -Errno.EINVAL;
        }
        if (!of.writable()) {
            return -Errno.EBADF;
        }
        return ((RegularFile) of).handle.truncate(length);
    }

    /**
     * {@code posix_fallocate}/{@code fallocate(2)}: storage is never preallocated, but with mode 0 a range
     * beyond the end grows the file, as POSIX requires (PostgreSQL sizes DSM segments this way).
     *
     * @param fd     descriptor of a regular file open for writing
     * @param mode   fallocate mode (0 = default)
     * @param offset start of range
     * @param length length of range
     * @return 0 or {@code -errno}
     */
    public int fallocate(int fd, int mode, long offset, long length) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        if (offset < 0 || length <= 0) {
            return -Errno.EINVAL;
        }
        if (of instanceof PipeEnd) {
            return -Errno.ESPIPE;
        }
        if (!(of instanceof RegularFile)) {
            return -Errno.ENODEV;
        }
        if (!of.writable()) {
            return -Errno.EBADF;
        }
        FileHandle h = ((RegularFile) of).handle;
        long size = h.size();
        if (size < 0) {
            return (int) size;
        }
        if (mode == 0 && offset + length > size) {
            return h.truncate(offset + length);
        }
        return 0;
    }

    /**
     * {@code posix_fadvise}: a no-op that validates the descriptor.
     *
     * @param fd     descriptor
     * @param offset start of range
     * @param length length of range
     * @param advice advice value (ignored)
     * @return 0 or {@code -errno} (EBADF, ESPIPE for pipes)
     */
    public int fadvise(int fd, long offset, long length, int advice) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        return of instanceof PipeEnd ? -Errno.ESPIPE : 0;
    }

    /**
     * {@code fsync(2)} / {@code fdatasync(2)} / WASI {@code fd_sync}: forces host files to disk; flushes
     * devices; no-op for memory files.
     *
     * @param fd descriptor
     * @return 0 or {@code -errno}
     */
    public int fsync(int fd) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        if (of instanceof RegularFile) {
            return ((RegularFile) of).handle.sync();
        }
        if (of instanceof DirectoryFile) {
            DirectoryFile d = (DirectoryFile) of;
            return d.mount.layer.syncDirectory(d.layerPath);
        }
        if (of instanceof DeviceFile) {
            ((DeviceFile) of).device.flush();
            return 0;
        }
        return -Errno.EINVAL;
    }

    /**
     * {@code fchmodat(2)}: stores permission bits.
     *
     * @param dirfd {@link OpenFlags#AT_FDCWD} or a directory descriptor
     * @param path  path
     * @param mode  new permission bits
     * @param flags 0 or {@link OpenFlags#AT_SYMLINK_NOFOLLOW}
     * @return 0 or {@code -errno}
     */
    public int fchmodat(int dirfd, String path, int mode, int flags) {
        Resolved r = resolve(dirfd, path, (flags & OpenFlags.AT_SYMLINK_NOFOLLOW) == 0);
        if (r == null) {
            return -resolveErr;
        }
        if (devices.containsKey(r.abs)) {
            return 0;
        }
        return chmodResolved(r.mount, r.layerPath, mode);
    }

    /**
     * {@code chmod(2)} relative to the current directory.
     *
     * @param path path
     * @param mode new permission bits
     * @return 0 or {@code -errno}
     */
    public int chmod(String path, int mode) {
        return fchmodat(OpenFlags.AT_FDCWD, path, mode, 0);
    }

    /**
     * {@code fchmod(2)}. Applied through the path the descriptor was opened with.
     *
     * @param fd   descriptor
     * @param mode new permission bits
     * @return 0 or {@code -errno}
     */
    public int fchmod(int fd, int mode) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        if (of instanceof RegularFile) {
            Mount m = ((RegularFile) of).mount;
            return chmodResolved(m, m.layerPath(of.path), mode);
        }
        if (of instanceof DirectoryFile) {
            DirectoryFile d = (DirectoryFile) of;
            return chmodResolved(d.mount, d.layerPath, mode);
        }
        return 0;
    }

    private int chmodResolved(Mount m, String layerPath, int mode) {
        int e = m.layer.lstat(layerPath, scratch.clear());
        if (e < 0) {
            return e;
        }
        if (m.layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        return m.layer.chmod(layerPath, mode & FileStat.PERMISSION_MASK);
    }

    /**
     * {@code utimensat(2)}; with a null path it is {@code futimens(2)} on {@code dirfd}.
     *
     * @param dirfd   {@link OpenFlags#AT_FDCWD} or a directory descriptor (or the file for futimens)
     * @param path    path, or null
     * @param atimeNs access time in ns since the epoch, {@link #UTIME_NOW} or {@link #UTIME_OMIT}
     * @param mtimeNs modification time in ns since the epoch, {@link #UTIME_NOW} or {@link #UTIME_OMIT}
     * @param flags   0 or {@link OpenFlags#AT_SYMLINK_NOFOLLOW}
     * @return 0 or {@code -errno}
     */
    public int utimensat(int dirfd, String path, long atimeNs, long mtimeNs, int flags) {
        long now = MemoryLayer.nowNs();
        long a = atimeNs == UTIME_NOW ? now : atimeNs;
        long m = mtimeNs == UTIME_NOW ? now : mtimeNs;
        Mount mount;
        String layerPath;
        if (path == null) {
            OpenFile of = get(dirfd);
            if (of == null) {
                return -Errno.EBADF;
            }
            if (of instanceof RegularFile) {
                mount = ((RegularFile) of).mount;
                layerPath = mount.layerPath(of.path);
            } else if (of instanceof DirectoryFile) {
                mount = ((DirectoryFile) of).mount;
                layerPath = ((DirectoryFile) of).layerPath;
            } else {
                return 0;
            }
        } else {
            Resolved r = resolve(dirfd, path, (flags & OpenFlags.AT_SYMLINK_NOFOLLOW) == 0);
            if (r == null) {
                return -resolveErr;
            }
            if (devices.containsKey(r.abs)) {
                return 0;
            }
            mount = r.mount;
            layerPath = r.layerPath;
        }
        int e = mount.layer.lstat(layerPath, scratch.clear());
        if (e < 0) {
            return e;
        }
        if (a == UTIME_OMIT && m == UTIME_OMIT) {
            return 0;
        }
        if (mount.layer.isReadOnly()) {
            return -Errno.EROFS;
        }
        return mount.layer.setTimes(layerPath, a, m);
    }

    // =========================================================================================================
    // Directories
    // =========================================================================================================

    /**
     * {@code chdir(2)}.
     *
     * @param path directory
     * @return 0 or {@code -errno} (ENOENT, ENOTDIR)
     */
    public int chdir(String path) {
        Resolved r = resolve(OpenFlags.AT_FDCWD, path, true);
        if (r == null) {
            return -resolveErr;
        }
        if (devices.containsKey(r.abs)) {
            return -Errno.ENOTDIR;
        }
        FileStat st = scratch.clear();
        int e = r.mount.layer.lstat(r.layerPath, st);
        if (e < 0) {
            return e;
        }
        if (!st.isDirectory()) {
            return -Errno.ENOTDIR;
        }
        cwd = r.abs;
        return 0;
    }

    /**
     * {@code fchdir(2)}.
     *
     * @param fd directory descriptor
     * @return 0 or {@code -errno}
     */
    public int fchdir(int fd) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        if (!(of instanceof DirectoryFile)) {
            return -Errno.ENOTDIR;
        }
        cwd = of.path;
        return 0;
    }

    /** @return the current working directory, an absolute canonical path ({@code getcwd(3)}) */
    public String getcwd() {
        return cwd;
    }

    /**
     * {@code umask(2)}.
     *
     * @param mask new mask (only 0777 bits are kept)
     * @return the previous mask
     */
    public int umask(int mask) {
        int old = umask;
        umask = mask & 0777;
        return old;
    }

    /**
     * Sets the umask without returning the previous one (for hosts that track {@code umask(2)} themselves).
     *
     * @param mask new mask (only 0777 bits are kept)
     */
    public void setUmask(int mask) {
        umask = mask & 0777;
    }

    /**
     * Like {@link #readdir} but also reports the entry index the returned entries start at, which the host
     * needs for {@code d_off} ({@code (position[0] + i + 1) * 280}).
     *
     * @param fd         directory descriptor
     * @param maxEntries maximum entries to return
     * @param out        receives the entries
     * @param position   {@code position[0]} receives the index of the first returned entry
     * @return number of entries appended (0 at the end) or {@code -errno}
     */
    public int getdents(int fd, int maxEntries, List<DirEntry> out, long[] position) {
        OpenFile of = get(fd);
        if (of != null) {
            position[0] = of.position;
        }
        return readdir(fd, maxEntries, out);
    }

    /**
     * Reads directory entries for {@code getdents64}, starting at the descriptor's position and advancing it by
     * the number returned. The position counts entries: "." is entry 0 and ".." entry 1, then the directory's
     * entries sorted by name (mount points and devices located in the directory included). The listing is a
     * snapshot taken at the first read after open or after {@code seek(fd, 0, SEEK_SET)} (rewind). The host
     * packs each entry into a 280-byte record, so it passes {@code count / 280} as {@code maxEntries} and
     * reports {@code d_off = (position + i + 1) * 280}.
     *
     * @param fd         directory descriptor
     * @param maxEntries maximum entries to return
     * @param out        receives the entries
     * @return number of entries appended (0 at the end) or {@code -errno} (EBADF, ENOTDIR, EINVAL)
     */
    public int readdir(int fd, int maxEntries, List<DirEntry> out) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        if (!(of instanceof DirectoryFile)) {
            return -Errno.ENOTDIR;
        }
        if (maxEntries <= 0) {
            return -Errno.EINVAL;
        }
        DirectoryFile d = (DirectoryFile) of;
        if (d.snapshot == null) {
            int e = snapshot(d);
            if (e < 0) {
                return e;
            }
        }
        List<DirEntry> snap = d.snapshot;
        long pos = d.position;
        if (pos >= snap.size()) {
            return 0;
        }
        int n = (int) Math.min(maxEntries, snap.size() - pos);
        for (int i = 0; i < n; i++) {
            out.add(snap.get((int) pos + i));
        }
        d.position = pos + n;
        return n;
    }

    private int snapshot(DirectoryFile d) {
        List<DirEntry> entries = new ArrayList<>();
        int e = d.mount.layer.list(d.layerPath, entries);
        if (e < 0) {
            return e;
        }
        FileStat st = new FileStat();
        // Mount points and devices live outside the directory's layer but belong in its listing.
        HashMap<String, DirEntry> extra = null;
        for (Mount m : mounts) {
            if (d.path.equals(m.parent) && m.layer.lstat("", st) == 0) {
                if (extra == null) {
                    extra = new HashMap<>();
                }
                extra.put(m.name, new DirEntry(m.name, st.ino, DirEntry.DT_DIR));
            }
        }
        for (Device dev : devices.values()) {
            if (d.path.equals(dev.parent)) {
                if (extra == null) {
                    extra = new HashMap<>();
                }
                extra.putIfAbsent(dev.name, new DirEntry(dev.name, dev.ino, DirEntry.DT_CHR));
            }
        }
        if (extra != null) {
            final Map<String, DirEntry> x = extra;
            entries.removeIf(en -> x.containsKey(en.name()));
            entries.addAll(extra.values());
        }
        entries.sort(Comparator.comparing(DirEntry::name));
        long selfIno = d.mount.layer.lstat(d.layerPath, st) == 0 ? st.ino : 0;
        long parentIno = selfIno;
        if (!d.path.equals("/")) {
            int slash = d.path.lastIndexOf('/');
            String parent = slash == 0 ? "/" : d.path.substring(0, slash);
            Mount pm = mountFor(parent);
            if (pm.layer.lstat(pm.layerPath(parent), st) == 0) {
                parentIno = st.ino;
            }
        }
        List<DirEntry> snap = new ArrayList<>(entries.size() + 2);
        snap.add(new DirEntry(".", selfIno, DirEntry.DT_DIR));
        snap.add(new DirEntry("..", parentIno, DirEntry.DT_DIR));
        snap.addAll(entries);
        d.snapshot = snap;
        return 0;
    }

    // =========================================================================================================
    // Descriptor queries and control
    // =========================================================================================================

    /**
     * File type for WASI {@code fd_fdstat_get}: {@link #FILETYPE_DIRECTORY} for directories,
     * {@link #FILETYPE_CHARACTER_DEVICE} for terminal devices (stdio), and, as in the Emscripten glue,
     * {@link #FILETYPE_REGULAR_FILE} for everything else, including non-terminal devices and pipes, so that
     * wasm libc's {@code isatty} is true exactly for terminals.
     *
     * @param fd descriptor
     * @return the WASI file type or {@code -EBADF}
     */
    public int fileType(int fd) {
        OpenFile of = get(fd);
        return of == null ? -Errno.EBADF : of.fileType();
    }

    /**
     * Whether a descriptor is a terminal (for the host's {@code ioctl(TIOCGWINSZ)} and similar).
     *
     * @param fd descriptor
     * @return 1 if a terminal, 0 if not, {@code -EBADF}
     */
    public int isatty(int fd) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        return of instanceof DeviceFile && ((DeviceFile) of).device.isTerminal() ? 1 : 0;
    }

    /**
     * {@code fcntl(2)} subset: {@code F_DUPFD}, {@code F_DUPFD_CLOEXEC}, {@code F_GETFD}, {@code F_SETFD},
     * {@code F_GETFL}, {@code F_SETFL} (O_APPEND and O_NONBLOCK), record locks ({@code F_SETLK},
     * {@code F_SETLKW}, {@code F_GETLK} and the OFD variants) as no-op success: there is only one process. For
     * {@code F_GETLK} the host should report {@code F_UNLCK} in the caller's struct.
     *
     * @param fd  descriptor
     * @param cmd command
     * @param arg integer argument (ignored for lock commands)
     * @return command result or {@code -errno} (EBADF, EINVAL, EMFILE)
     */
    public int fcntl(int fd, int cmd, int arg) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        switch (cmd) {
            case OpenFlags.F_DUPFD:
            case OpenFlags.F_DUPFD_CLOEXEC: {
                if (arg < 0 || arg >= table.length) {
                    return -Errno.EINVAL;
                }
                int nfd = allocFd(arg);
                if (nfd < 0) {
                    return -Errno.EMFILE;
                }
                of.refs++;
                installAt(nfd, of, cmd == OpenFlags.F_DUPFD_CLOEXEC ? OpenFlags.FD_CLOEXEC : 0);
                return nfd;
            }
            case OpenFlags.F_GETFD:
                return fdFlags[fd];
            case OpenFlags.F_SETFD:
                fdFlags[fd] = arg & OpenFlags.FD_CLOEXEC;
                return 0;
            case OpenFlags.F_GETFL:
                return of.flags;
            case OpenFlags.F_SETFL:
                of.flags = (of.flags & ~OpenFlags.SETFL_MASK) | (arg & OpenFlags.SETFL_MASK);
                return 0;
            case 5:
            case 6:
            case 7:
                // F_GETLK/F_SETLK/F_SETLKW as musl numbers them where long is 64-bit (wasm64).
            case OpenFlags.F_GETLK:
            case OpenFlags.F_SETLK:
            case OpenFlags.F_SETLKW:
            case OpenFlags.F_OFD_GETLK:
            case OpenFlags.F_OFD_SETLK:
            case OpenFlags.F_OFD_SETLKW:
            case OpenFlags.F_SETOWN:
            case OpenFlags.F_GETOWN:
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }

    /**
     * {@code pipe2(2)}: creates an in-memory pipe (always non-blocking, see {@link #read}).
     *
     * @param fds   receives the read end at [0] and the write end at [1]
     * @param flags 0, {@link OpenFlags#O_CLOEXEC}, {@link OpenFlags#O_NONBLOCK}
     * @return 0 or {@code -errno} (EMFILE, EINVAL)
     */
    public int pipe2(int[] fds, int flags) {
        if ((flags & ~(OpenFlags.O_CLOEXEC | OpenFlags.O_NONBLOCK)) != 0) {
            return -Errno.EINVAL;
        }
        if (openCount + 2 > table.length) {
            return -Errno.EMFILE;
        }
        Pipe p = new Pipe(specialInos.allocate());
        int fdFlag = (flags & OpenFlags.O_CLOEXEC) != 0 ? OpenFlags.FD_CLOEXEC : 0;
        int status = flags & OpenFlags.O_NONBLOCK;
        int rfd = install(new PipeEnd(p, true, status), fdFlag);
        int wfd = install(new PipeEnd(p, false, status), fdFlag);
        fds[0] = rfd;
        fds[1] = wfd;
        return 0;
    }

    /**
     * {@code pipe(2)}.
     *
     * @param fds receives the read end at [0] and the write end at [1]
     * @return 0 or {@code -errno}
     */
    public int pipe(int[] fds) {
        return pipe2(fds, 0);
    }

    /**
     * {@code statfs64}.
     *
     * @param path any path on the file system of interest
     * @param out  filled on success
     * @return 0 or {@code -errno}
     */
    public int statfs(String path, StatFs out) {
        Resolved r = resolve(OpenFlags.AT_FDCWD, path, true);
        if (r == null) {
            return -resolveErr;
        }
        if (!devices.containsKey(r.abs)) {
            int e = r.mount.layer.lstat(r.layerPath, scratch.clear());
            if (e < 0) {
                return e;
            }
        }
        r.mount.layer.statfs(out);
        out.fsid = r.mount.dev;
        return 0;
    }

    /**
     * {@code statfs64} returning a fresh holder.
     *
     * @param path any path on the file system of interest
     * @return the statistics, or null if the path does not resolve (the host reports ENOENT)
     */
    public StatFs statfs(String path) {
        StatFs out = new StatFs();
        return statfs(path, out) == 0 ? out : null;
    }

    /**
     * {@code fstatfs64}.
     *
     * @param fd  descriptor
     * @param out filled on success
     * @return 0 or {@code -errno}
     */
    public int fstatfs(int fd, StatFs out) {
        OpenFile of = get(fd);
        if (of == null) {
            return -Errno.EBADF;
        }
        Mount m = of instanceof RegularFile ? ((RegularFile) of).mount
                : of instanceof DirectoryFile ? ((DirectoryFile) of).mount : mountFor("/");
        m.layer.statfs(out);
        out.fsid = m.dev;
        return 0;
    }


    // =========================================================================================================
    // Snapshot and restore (a process continued from a captured state)
    // =========================================================================================================

    /**
     * The per-process state of a VFS: working directory, umask and the descriptor table (what each descriptor
     * refers to by path, the open file descriptions they share, positions, flags, pipe contents). Files
     * themselves are not included: {@link #restore} reopens them by path in layers that must hold the same
     * tree (e.g. copies of the captured layers). Immutable.
     */
    public static final class Snapshot {
        enum Kind { REGULAR, DIRECTORY, STDIO, DEVICE, PIPE }

        record Description(Kind kind, String path, int flags, long position, boolean writable, int stdioFd,
                int pipe, boolean readEnd) {}

        record PipeState(byte[] content) {}

        private final String cwd;
        private final int umask;
        private final List<Description> descriptions;
        private final List<PipeState> pipes;
        /** Per descriptor: index into {@link #descriptions}, or -1 when closed. */
        private final int[] fdDescription;
        private final int[] fdFlags;

        private Snapshot(String cwd, int umask, List<Description> descriptions, List<PipeState> pipes,
                int[] fdDescription, int[] fdFlags) {
            this.cwd = cwd;
            this.umask = umask;
            this.descriptions = List.copyOf(descriptions);
            this.pipes = List.copyOf(pipes);
            this.fdDescription = fdDescription;
            this.fdFlags = fdFlags;
        }

        /** @return the number of open descriptors captured */
        public int openDescriptors() {
            int n = 0;
            for (int d : fdDescription) {
                if (d >= 0) {
                    n++;
                }
            }
            return n;
        }

        /**
         * @param fd a descriptor
         * @return the path it was open on when captured (a label for pipes), or null if it was closed
         */
        public String pathOf(int fd) {
            if (fd < 0 || fd >= fdDescription.length || fdDescription[fd] < 0) {
                return null;
            }
            Description d = descriptions.get(fdDescription[fd]);
            return d.kind() == Kind.PIPE ? "pipe" : d.path();
        }

        @Override
        public String toString() {
            return "VirtualFileSystem.Snapshot[cwd=" + cwd + ", " + openDescriptors() + " descriptors]";
        }

        /**
         * Writes the snapshot (for a snapshot kept on disk).
         *
         * @param out the destination
         * @throws java.io.IOException if writing fails
         */
        public void writeTo(java.io.DataOutput out) throws java.io.IOException {
            out.writeUTF(cwd);
            out.writeInt(umask);
            out.writeInt(pipes.size());
            for (PipeState p : pipes) {
                out.writeInt(p.content().length);
                out.write(p.content());
            }
            out.writeInt(descriptions.size());
            for (Description d : descriptions) {
                out.writeByte(d.kind().ordinal());
                out.writeUTF(d.path());
                out.writeInt(d.flags());
                out.writeLong(d.position());
                out.writeBoolean(d.writable());
                out.writeInt(d.stdioFd());
                out.writeInt(d.pipe());
                out.writeBoolean(d.readEnd());
            }
            out.writeInt(fdDescription.length);
            for (int fd = 0; fd < fdDescription.length; fd++) {
                if (fdDescription[fd] >= 0) {
                    out.writeInt(fd);
                    out.writeInt(fdDescription[fd]);
                    out.writeInt(fdFlags[fd]);
                }
            }
            out.writeInt(-1);
        }

        /**
         * Reads a snapshot written by {@link #writeTo}.
         *
         * @param in the source
         * @return the snapshot
         * @throws java.io.IOException if reading fails or the data is malformed
         */
        public static Snapshot readFrom(java.io.DataInput in) throws java.io.IOException {
            String cwd = in.readUTF();
            int umask = in.readInt();
            int nPipes = checkCount(in.readInt());
            List<PipeState> pipes = new ArrayList<>();
            for (int i = 0; i < nPipes; i++) {
                byte[] content = new byte[checkCount(in.readInt())];
                in.readFully(content);
                pipes.add(new PipeState(content));
            }
            int nDesc = checkCount(in.readInt());
            List<Description> descriptions = new ArrayList<>();
            Kind[] kinds = Kind.values();
            for (int i = 0; i < nDesc; i++) {
                int kind = in.readByte();
                if (kind < 0 || kind >= kinds.length) {
                    throw new java.io.IOException("malformed descriptor kind " + kind);
                }
                Description d = new Description(kinds[kind], in.readUTF(), in.readInt(), in.readLong(),
                        in.readBoolean(), in.readInt(), in.readInt(), in.readBoolean());
                if (d.kind() == Kind.PIPE && (d.pipe() < 0 || d.pipe() >= nPipes)
                        || d.kind() == Kind.STDIO && (d.stdioFd() < 0 || d.stdioFd() > 2)) {
                    throw new java.io.IOException("malformed descriptor " + d);
                }
                descriptions.add(d);
            }
            int tableSize = checkCount(in.readInt());
            int[] fdDescription = new int[tableSize];
            int[] fdFlags = new int[tableSize];
            Arrays.fill(fdDescription, -1);
            for (int fd = in.readInt(); fd != -1; fd = in.readInt()) {
                int d = in.readInt();
                if (fd < 0 || fd >= tableSize || d < 0 || d >= nDesc) {
                    throw new java.io.IOException("malformed descriptor table entry " + fd + " -> " + d);
                }
                fdDescription[fd] = d;
                fdFlags[fd] = in.readInt();
            }
            return new Snapshot(cwd, umask, descriptions, pipes, fdDescription, fdFlags);
        }

        private static int checkCount(int n) throws java.io.IOException {
            if (n < 0 || n > (1 << 24)) {
                throw new java.io.IOException("malformed count " + n);
            }
            return n;
        }
    }

    /**
     * Captures the working directory, umask and descriptor table so that another VFS (over layers holding the
     * same files) can continue where this one is.
     *
     * @return the snapshot
     * @throws IllegalStateException if a descriptor refers to something that cannot be reopened by path: a
     *     file that was deleted or replaced while open, or a device that is neither standard I/O nor
     *     registered at its path
     */
    public Snapshot snapshot() {
        IdentityHashMap<OpenFile, Integer> index = new IdentityHashMap<>();
        IdentityHashMap<Pipe, Integer> pipeIndex = new IdentityHashMap<>();
        List<Snapshot.Description> descriptions = new ArrayList<>();
        List<Snapshot.PipeState> pipes = new ArrayList<>();
        int[] fdDescription = new int[table.length];
        Arrays.fill(fdDescription, -1);
        int[] flags = new int[table.length];
        for (int fd = 0; fd < table.length; fd++) {
            OpenFile of = table[fd];
            if (of == null) {
                continue;
            }
            Integer i = index.get(of);
            if (i == null) {
                i = descriptions.size();
                descriptions.add(describe(of, pipeIndex, pipes));
                index.put(of, i);
            }
            fdDescription[fd] = i;
            flags[fd] = fdFlags[fd];
        }
        return new Snapshot(cwd, umask, descriptions, pipes, fdDescription, flags);
    }

    private Snapshot.Description describe(OpenFile of, IdentityHashMap<Pipe, Integer> pipeIndex,
            List<Snapshot.PipeState> pipes) {
        if (of instanceof RegularFile) {
            RegularFile rf = (RegularFile) of;
            FileStat open = new FileStat();
            FileStat named = new FileStat();
            Resolved r = resolve(OpenFlags.AT_FDCWD, rf.path, false);
            if (rf.handle.stat(open) < 0 || r == null || r.mount != rf.mount
                    || r.mount.layer.lstat(r.layerPath, named) < 0 || named.ino != open.ino) {
                throw new IllegalStateException("cannot capture descriptor on " + rf.path
                        + ": the file was deleted or replaced while open");
            }
            return new Snapshot.Description(Snapshot.Kind.REGULAR, rf.path, rf.flags, rf.position,
                    rf.handle.isWritable(), -1, -1, false);
        }
        if (of instanceof DirectoryFile) {
            return new Snapshot.Description(Snapshot.Kind.DIRECTORY, of.path, of.flags, of.position, false, -1,
                    -1, false);
        }
        if (of instanceof DeviceFile) {
            DeviceFile df = (DeviceFile) of;
            for (int k = 0; k < 3; k++) {
                if (df.device == stdio[k] && STDIO_NAMES[k].equals(df.path)) {
                    return new Snapshot.Description(Snapshot.Kind.STDIO, df.path, df.flags, df.position, false,
                            k, -1, false);
                }
            }
            Device d = devices.get(df.path);
            if (d != null && d.device == df.device) {
                return new Snapshot.Description(Snapshot.Kind.DEVICE, df.path, df.flags, df.position, false, -1,
                        -1, false);
            }
            throw new IllegalStateException("cannot capture descriptor on device " + df.path
                    + ": it is no longer registered there");
        }
        PipeEnd pe = (PipeEnd) of;
        Integer p = pipeIndex.get(pe.pipe);
        if (p == null) {
            p = pipes.size();
            pipes.add(new Snapshot.PipeState(pe.pipe.content()));
            pipeIndex.put(pe.pipe, p);
        }
        return new Snapshot.Description(Snapshot.Kind.PIPE, pe.path, pe.flags, 0, false, -1, p, pe.readEnd);
    }

    /**
     * Continues from a snapshot: closes every descriptor, then recreates the captured ones (same numbers,
     * shared open file descriptions, positions and flags) by reopening their paths in this VFS's layers,
     * and restores the working directory and umask. Standard I/O descriptors get this VFS's own devices.
     *
     * @param s a snapshot of a VFS whose layers held the same files as this one's
     * @throws IllegalStateException if a captured path cannot be opened here; descriptors are then closed
     */
    public void restore(Snapshot s) {
        if (s.fdDescription.length > table.length) {
            throw new IllegalStateException("the snapshot has a descriptor table of " + s.fdDescription.length
                    + " entries, this VFS " + table.length);
        }
        for (int fd = 0; fd < table.length; fd++) {
            if (table[fd] != null) {
                close(fd);
            }
        }
        if (chdir(s.cwd) < 0) {
            throw new IllegalStateException("cannot restore the working directory " + s.cwd);
        }
        umask = s.umask;
        int[] refs = new int[s.descriptions.size()];
        for (int d : s.fdDescription) {
            if (d >= 0) {
                refs[d]++;
            }
        }
        int[] readers = new int[s.pipes.size()];
        int[] writers = new int[s.pipes.size()];
        for (Snapshot.Description d : s.descriptions) {
            if (d.kind() == Snapshot.Kind.PIPE) {
                if (d.readEnd()) {
                    readers[d.pipe()]++;
                } else {
                    writers[d.pipe()]++;
                }
            }
        }
        Pipe[] pipes = new Pipe[s.pipes.size()];
        for (int i = 0; i < pipes.length; i++) {
            pipes[i] = new Pipe(specialInos.allocate(), s.pipes.get(i).content(), readers[i], writers[i]);
        }
        OpenFile[] opened = new OpenFile[s.descriptions.size()];
        try {
            for (int i = 0; i < opened.length; i++) {
                if (refs[i] > 0) {
                    opened[i] = reopen(s.descriptions.get(i), pipes);
                    opened[i].refs = refs[i];
                }
            }
        } catch (RuntimeException e) {
            for (OpenFile of : opened) {
                if (of != null) {
                    of.refs = 0;
                    of.release();
                }
            }
            throw e;
        }
        for (int fd = 0; fd < s.fdDescription.length; fd++) {
            int d = s.fdDescription[fd];
            if (d >= 0) {
                installAt(fd, opened[d], s.fdFlags[fd]);
            }
        }
    }

    private OpenFile reopen(Snapshot.Description d, Pipe[] pipes) {
        switch (d.kind()) {
            case REGULAR: {
                Resolved r = resolve(OpenFlags.AT_FDCWD, d.path(), false);
                if (r == null) {
                    throw new IllegalStateException("cannot reopen " + d.path() + ": " + Errno.name(resolveErr));
                }
                FileHandle h;
                try {
                    h = r.mount.layer.open(r.layerPath, d.writable());
                } catch (FsException e) {
                    throw new IllegalStateException("cannot reopen " + d.path() + ": " + e.getMessage(), e);
                }
                RegularFile rf = new RegularFile(h, d.flags(), r.abs, r.mount);
                rf.position = d.position();
                return rf;
            }
            case DIRECTORY: {
                Resolved r = resolve(OpenFlags.AT_FDCWD, d.path(), true);
                if (r == null || r.mount.layer.lstat(r.layerPath, scratch.clear()) < 0 || !scratch.isDirectory()) {
                    throw new IllegalStateException("cannot reopen directory " + d.path());
                }
                DirectoryFile df = new DirectoryFile(d.flags(), r.abs, r.mount, r.layerPath);
                df.position = d.position();
                return df;
            }
            case STDIO: {
                DeviceFile df = new DeviceFile(stdio[d.stdioFd()], d.flags(), d.path(), specialInos.allocate(),
                        nextRdev++, 0);
                df.position = d.position();
                return df;
            }
            case DEVICE: {
                Device dev = devices.get(d.path());
                if (dev == null || dev.device.open(d.flags()) < 0) {
                    throw new IllegalStateException("cannot reopen device " + d.path());
                }
                Mount m = mountFor(d.path());
                DeviceFile df = new DeviceFile(dev.device, d.flags(), d.path(), dev.ino, dev.rdev, m.dev);
                df.position = d.position();
                return df;
            }
            case PIPE: {
                PipeEnd pe = new PipeEnd(pipes[d.pipe()], d.readEnd(), d.flags() & ~OpenFlags.O_ACCMODE);
                return pe;
            }
            default:
                throw new IllegalStateException("unknown descriptor kind " + d.kind());
        }
    }

    // =========================================================================================================
    // Host conveniences (not syscalls; may throw)
    // =========================================================================================================

    /**
     * Reads a whole file (for the host, e.g. to inspect {@code PG_VERSION}); not a syscall path.
     *
     * @param path path relative to the current directory
     * @return the content
     * @throws FsException with the errno if it cannot be read
     */
    public byte[] readFile(String path) {
        int fd = open(path, OpenFlags.O_RDONLY, 0);
        if (fd < 0) {
            throw new FsException(-fd, path);
        }
        try {
            FileStat st = new FileStat();
            int e = fstat(fd, st);
            if (e < 0) {
                throw new FsException(-e, path);
            }
            if (st.size > Integer.MAX_VALUE - 8) {
                throw new FsException(Errno.EFBIG, path);
            }
            byte[] buf = new byte[(int) st.size];
            int done = 0;
            while (done < buf.length) {
                int n = pread(fd, buf, done, buf.length - done, done);
                if (n < 0) {
                    throw new FsException(-n, path);
                }
                if (n == 0) {
                    break;
                }
                done += n;
            }
            return done == buf.length ? buf : Arrays.copyOf(buf, done);
        } finally {
            close(fd);
        }
    }

    /**
     * Creates or replaces a whole file (for the host, e.g. to write configuration); not a syscall path.
     *
     * @param path path relative to the current directory
     * @param data content
     * @param mode permission bits if the file is created (umask applied)
     * @throws FsException with the errno if it cannot be written
     */
    public void writeFile(String path, byte[] data, int mode) {
        int fd = open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, mode);
        if (fd < 0) {
            throw new FsException(-fd, path);
        }
        try {
            int done = 0;
            while (done < data.length) {
                int n = write(fd, data, done, data.length - done);
                if (n < 0) {
                    throw new FsException(-n, path);
                }
                done += n;
            }
        } finally {
            close(fd);
        }
    }

    // =========================================================================================================
    // Lifecycle
    // =========================================================================================================

    /**
     * Forces everything written to host directories to durable storage and flushes device buffers
     * (stdout/stderr partial lines).
     */
    public void sync() {
        for (FileTreeLayer layer : distinctLayers()) {
            layer.sync();
        }
        for (OpenFile of : table) {
            if (of instanceof DeviceFile) {
                ((DeviceFile) of).device.flush();
            }
        }
    }

    private Set<FileTreeLayer> distinctLayers() {
        Set<FileTreeLayer> layers = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Mount m : mounts) {
            layers.add(m.layer);
        }
        return layers;
    }

    /**
     * Closes every descriptor (flushing devices), then, unless built with {@code ownsLayers(false)}, every
     * mounted layer, which releases host directory locks. Idempotent; afterwards {@link #openat} fails with EIO.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int fd = 0; fd < table.length; fd++) {
            if (table[fd] != null) {
                close(fd);
            }
        }
        for (Device d : devices.values()) {
            d.device.flush();
        }
        if (!ownsLayers) {
            LOG.debug("virtual file system view closed; layers left open");
            return;
        }
        for (FileTreeLayer layer : distinctLayers()) {
            try {
                layer.close();
            } catch (RuntimeException e) {
                LOG.warn("closing layer {} failed", layer, e);
            }
        }
        LOG.debug("virtual file system closed");
    }
}

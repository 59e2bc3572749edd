#!/usr/bin/env python3
"""A passthrough FUSE filesystem that can be made read-only and writable again while
files on it stay open: the read-only fault of tests/outage.rs.

    flipfs.py BACKING MOUNTPOINT CONTROL

Everything under MOUNTPOINT is BACKING. While the file CONTROL exists (it lives outside
the mount), every operation that would change something answers EROFS, as a filesystem
remounted read-only does: write, create, truncate, fsync, unlink, rename, mkdir, rmdir,
chmod, chown, utimens, link, symlink, and open for writing. Reads keep working. Delete
CONTROL and writes work again. Runs in the foreground until unmounted.

Needs root (or fusermount), /dev/fuse and fusepy (Debian: python3-fusepy, which brings
libfuse2). POSIX locks are left to the kernel (no `lock` operation), so SQLite's locking
works between processes on this machine; there is no writeback cache, so a refused write
fails in the write() call itself.
"""

import errno
import os
import sys

try:
    from fusepy import FUSE, FuseOSError, Operations
except ImportError:
    from fuse import FUSE, FuseOSError, Operations


class Flip(Operations):
    use_ns = True

    def __init__(self, backing, control):
        self.backing = os.path.realpath(backing)
        self.control = control

    def _p(self, path):
        return os.path.join(self.backing, path.lstrip("/"))

    def _check(self):
        if os.path.exists(self.control):
            raise FuseOSError(errno.EROFS)

    def _os(self, f, *args):
        try:
            return f(*args)
        except OSError as e:
            raise FuseOSError(e.errno)

    # Reads.
    def access(self, path, mode):
        if not os.access(self._p(path), mode):
            raise FuseOSError(errno.EACCES)
        if mode & os.W_OK and os.path.exists(self.control):
            raise FuseOSError(errno.EROFS)

    def getattr(self, path, fh=None):
        st = self._os(os.fstat, fh) if fh is not None else self._os(os.lstat, self._p(path))
        keys = ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid", "st_blocks")
        out = {k: getattr(st, k) for k in keys}
        for k in ("st_atime", "st_ctime", "st_mtime"):
            out[k] = getattr(st, k + "_ns")
        return out

    def readdir(self, path, fh):
        return [".", ".."] + self._os(os.listdir, self._p(path))

    def readlink(self, path):
        return self._os(os.readlink, self._p(path))

    def statfs(self, path):
        st = self._os(os.statvfs, self._p(path))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag",
                "f_frsize", "f_namemax")
        return {k: getattr(st, k) for k in keys}

    def open(self, path, flags):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_TRUNC | os.O_APPEND):
            self._check()
        return self._os(os.open, self._p(path), flags)

    def read(self, path, size, offset, fh):
        return self._os(os.pread, fh, size, offset)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        self._os(os.close, fh)
        return 0

    # Writes: refused while CONTROL exists.
    def create(self, path, mode, fi=None):
        self._check()
        return self._os(os.open, self._p(path), os.O_RDWR | os.O_CREAT, mode)

    def write(self, path, data, offset, fh):
        self._check()
        return self._os(os.pwrite, fh, data, offset)

    def truncate(self, path, length, fh=None):
        self._check()
        if fh is not None:
            self._os(os.ftruncate, fh, length)
        else:
            self._os(os.truncate, self._p(path), length)

    def fsync(self, path, datasync, fh):
        self._check()
        if datasync:
            self._os(os.fdatasync, fh)
        else:
            self._os(os.fsync, fh)
        return 0

    def unlink(self, path):
        self._check()
        self._os(os.unlink, self._p(path))

    def rename(self, old, new):
        self._check()
        self._os(os.rename, self._p(old), self._p(new))

    def mkdir(self, path, mode):
        self._check()
        self._os(os.mkdir, self._p(path), mode)

    def rmdir(self, path):
        self._check()
        self._os(os.rmdir, self._p(path))

    def chmod(self, path, mode):
        self._check()
        self._os(os.chmod, self._p(path), mode)

    def chown(self, path, uid, gid):
        self._check()
        self._os(os.chown, self._p(path), uid, gid)

    def utimens(self, path, times=None):
        self._check()
        if times is None:
            self._os(os.utime, self._p(path))
        else:
            self._os(os.utime, self._p(path), ns=times)

    def link(self, target, source):
        self._check()
        self._os(os.link, self._p(source), self._p(target))

    def symlink(self, target, source):
        self._check()
        self._os(os.symlink, source, self._p(target))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: flipfs.py BACKING MOUNTPOINT CONTROL")
    backing, mountpoint, control = sys.argv[1:]
    FUSE(Flip(backing, control), mountpoint, foreground=True, nothreads=False, fsname="flipfs")

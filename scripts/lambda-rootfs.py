#!/usr/bin/env python3
"""Writes the root file system of the local stand-in for the Lambda `provided.al2023` image as a
tar, byte for byte the same for the same .deb files (sorted entries, mtime 0, owner root, no
user names), so its sha256 names the image's content.

    lambda-rootfs.py OUT.tar busybox-static.deb libc6.deb libgcc-s1.deb ca-certificates.deb

What goes in, and why (see scripts/lambda-base-image.sh):
  - /bin/busybox and links to a few applets: SAM's Dockerfile for its emulation image runs
    `mv` and `chmod` in the base image;
  - glibc's shared libraries and the dynamic loader, and libgcc_s: a cargo-lambda `bootstrap`
    is a dynamically linked glibc executable;
  - /etc/ssl/certs/ca-certificates.crt, Mozilla's roots as Debian ships them: the AWS SDK's
    rustls client panics at start-up without root certificates, even for plain http;
  - the directories Lambda has (/var/task, /var/runtime, /opt, /tmp) and a one-line
    /etc/passwd.
"""

import io
import subprocess
import sys
import tarfile

# The applets SAM's generated Dockerfile and a shell in the container need.
APPLETS = ["sh", "mv", "chmod", "cp", "rm", "mkdir", "ls", "cat", "ln", "env", "echo", "true"]
DIRECTORIES = {
    "bin": 0o755, "etc": 0o755, "etc/ssl": 0o755, "etc/ssl/certs": 0o755, "lib": 0o755,
    "lib/aarch64-linux-gnu": 0o755, "opt": 0o755, "tmp": 0o1777, "usr": 0o755,
    "usr/bin": 0o755, "var": 0o755, "var/runtime": 0o755, "var/task": 0o755, "dev": 0o755,
    "proc": 0o755, "sys": 0o755, "root": 0o700,
}


def deb_members(deb):
    """The data members of a .deb as (TarInfo, bytes or None), via dpkg-deb."""
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix("./")
            content = archive.extractfile(member).read() if member.isfile() else None
            yield name, member, content


def main():
    out, busybox, libc, libgcc, certs = sys.argv[1:6]
    entries = {}  # path -> (TarInfo, bytes or None)

    def add_dir(path, mode):
        info = tarfile.TarInfo(path)
        info.type, info.mode = tarfile.DIRTYPE, mode
        entries[path] = (info, None)

    def add_file(path, content, mode):
        info = tarfile.TarInfo(path)
        info.size, info.mode = len(content), mode
        entries[path] = (info, content)

    def add_link(path, target):
        info = tarfile.TarInfo(path)
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
        entries[path] = (info, None)

    for path, mode in DIRECTORIES.items():
        add_dir(path, mode)

    for name, member, content in deb_members(busybox):
        if name == "bin/busybox":
            add_file(name, content, 0o755)
    if "bin/busybox" not in entries:
        sys.exit(f"{busybox} holds no bin/busybox")
    for applet in APPLETS:
        add_link(f"bin/{applet}", "busybox")

    for deb in (libc, libgcc):
        for name, member, content in deb_members(deb):
            if not name.startswith("lib/aarch64-linux-gnu/") or member.isdir():
                continue
            if member.issym():
                add_link(name, member.linkname)
            elif member.isfile():
                add_file(name, content, member.mode & 0o777)
    if "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" not in entries:
        sys.exit(f"{libc} holds no aarch64 dynamic loader")
    # The loader path every aarch64 executable names (PT_INTERP).
    add_link("lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu/ld-linux-aarch64.so.1")

    # update-ca-certificates concatenates these at install time; here in a fixed order.
    pems = sorted(
        (name, content)
        for name, member, content in deb_members(certs)
        if name.startswith("usr/share/ca-certificates/mozilla/") and name.endswith(".crt")
    )
    if not pems:
        sys.exit(f"{certs} holds no certificates")
    bundle = b"".join(content if content.endswith(b"\n") else content + b"\n" for _, content in pems)
    add_file("etc/ssl/certs/ca-certificates.crt", bundle, 0o644)

    add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
    add_file("etc/group", b"root:x:0:\n", 0o644)
    add_file(
        "etc/os-release",
        b'NAME="Feedback Tracker local stand-in for Lambda provided.al2023"\n'
        b'ID=feedback-tracker-lambda-standin\n'
        b'VERSION_ID="bookworm"\n',
        0o644,
    )

    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as archive:
        for path in sorted(entries):
            info, content = entries[path]
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    print(f"{out}: {len(entries)} entries, {len(pems)} root certificates")


if __name__ == "__main__":
    main()

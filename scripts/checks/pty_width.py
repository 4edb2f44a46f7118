#!/usr/bin/env python3
"""Runs mle on a pseudo-terminal of a given width and checks no line of its output is wider.

    pty_width.py MLE WIDTH COMMAND...   runs `MLE -c COMMAND` for each COMMAND with COLUMNS unset,
                                        so mle must ask the terminal for its width
"""
import fcntl, os, pty, struct, sys, termios

def run(mle, width, command):
    pid, fd = pty.fork()
    if pid == 0:
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        os.execve(mle, [mle, "-c", command], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace").replace("\r\n", "\n")

mle, width = sys.argv[1], int(sys.argv[2])
for command in sys.argv[3:]:
    text = run(mle, width, command)
    lines = text.split("\n")
    assert len(lines) > 3, f"{command}: too little output: {text!r}"
    long = [l for l in lines if len(l) > width]
    assert not long, f"{command}: {len(long)} lines wider than {width}: {long[:3]}"
print(f"pty: {len(sys.argv) - 3} commands fit {width} columns")

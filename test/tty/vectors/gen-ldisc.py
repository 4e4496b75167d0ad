#!/usr/bin/env python3
"""Line-discipline vectors measured on a real Linux pty (python3 pty.openpty).

For each case: adjust the slave's termios, write `input` to the master, wait, read the
master once (the echo), then read the slave non-blocking until EAGAIN or EOF.
Run: python3 test/tty/vectors/gen-ldisc.py > test/tty/vectors/ldisc-pty.json
"""
import errno, fcntl, json, os, pty, termios, time

IUTF8 = 0x4000
CASES = [
    # name, input, (iflag set, iflag clear, oflag set, oflag clear, lflag set, lflag clear)
    ("erase", b"ab\x7fc\n", {}),
    ("control char echoed as ^A", b"a\x01b\n", {}),
    ("kill with echoke erases visually", b"abc\x15d\n", {}),
    ("kill without echoke prints ^U and newline", b"abc\x15d\n", {"lclr": termios.ECHOKE}),
    ("werase stops at non-word char", b"foo.bar  \x17x\n", {}),
    ("werase twice", b"foo bar\x17\x17x\n", {}),
    ("eof pushes partial line then gives end of file", b"ab\x04c\x04\x04", {}),
    ("icrnl maps CR to NL", b"a\rb\r\n", {}),
    ("erasing a control char takes two columns", b"a\x01\x7f\n", {}),
    ("erasing a tab backs up to its start", b"ab\tc\x7f\x7f\n", {}),
    ("lnext quotes ^C", b"a\x16\x03\n", {}),
    ("reprint", b"ab\x12c\n", {}),
    ("eof on empty line is not echoed", b"\x04", {}),
    ("utf8 erase without iutf8 removes one byte", "é\x7f\n".encode(), {}),
    ("utf8 erase with iutf8 removes the character", "é\x7f\n".encode(), {"iset": IUTF8}),
    ("erase without echoe prints ^?", b"abc\x7fd\n", {"lclr": termios.ECHOE}),
    ("noncanonical isig flushes and echoes", b"a\rb\x03\x7f\n", {"lclr": termios.ICANON}),
    ("raw input passes through", b"a\rb\x03\x7f\n\t\x1b", {"lclr": termios.ICANON | termios.ISIG, "iclr": termios.ICRNL}),
    ("echo off", b"secret\n", {"lclr": termios.ECHO}),
    ("echonl with echo off", b"pw\n", {"lclr": termios.ECHO, "lset": termios.ECHONL}),
    ("echoctl off echoes control chars raw", b"a\x01\x7f\n", {"lclr": termios.ECHOCTL}),
    ("igncr drops CR", b"a\rb\n", {"iset": termios.IGNCR}),
    ("inlcr maps NL to CR in raw mode", b"a\nb", {"iset": termios.INLCR, "lclr": termios.ICANON}),
    ("istrip clears the high bit", b"\xe1b\n", {"iset": termios.ISTRIP}),
    ("onlcr off leaves NL alone in echo", b"ab\n", {"oclr": termios.ONLCR}),
    ("opost off", b"ab\n", {"oclr": termios.OPOST}),
    ("ocrnl", b"a\x16\rb\n", {"oset": termios.OCRNL}),
    ("ixon: ^S and ^Q are not input", b"a\x13b\x11c\n", {}),
    ("ixon off: ^S is input", b"a\x13b\n", {"iclr": termios.IXON}),
    ("nul is an ordinary character", b"a\x00b\n", {}),
    ("werase over punctuation only", b"a ..\x17\n", {}),
    ("kill on empty line does nothing", b"\x15x\n", {}),
    ("erase on empty line does nothing", b"\x7fx\n", {}),
    ("two lines in one write", b"one\ntwo\n", {}),
    ("noncanonical echo of NL is ^J", b"x\n", {"lclr": termios.ICANON}),
    ("quit char echoes ^\\", b"ab\x1c", {}),
    ("noflsh keeps input on ^C", b"ab\x03c\n", {"lset": termios.NOFLSH}),
]

def run(inp, adj):
    m, s = pty.openpty()
    a = termios.tcgetattr(s)
    a[0] = (a[0] | adj.get("iset", 0)) & ~adj.get("iclr", 0)
    a[1] = (a[1] | adj.get("oset", 0)) & ~adj.get("oclr", 0)
    a[3] = (a[3] | adj.get("lset", 0)) & ~adj.get("lclr", 0)
    termios.tcsetattr(s, termios.TCSANOW, a)
    os.write(m, inp)
    time.sleep(0.05)
    for fd in (m, s):
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    try:
        echo = os.read(m, 4096)
    except OSError:
        echo = b""
    reads = []
    while True:
        try:
            r = os.read(s, 4096)
        except OSError as e:
            assert e.errno == errno.EAGAIN
            break
        reads.append(r.hex())
        if r == b"" or len(reads) > 8:
            break
    os.close(m); os.close(s)
    return {"iflag": a[0], "oflag": a[1], "lflag": a[3], "input": inp.hex(), "echo": echo.hex(), "reads": reads}

out = []
for name, inp, adj in CASES:
    out.append({"name": name, **run(inp, adj)})
print(json.dumps({"source": "Linux pty on the build machine via test/tty/vectors/gen-ldisc.py", "uname": os.uname().release, "cases": out}, indent=1))

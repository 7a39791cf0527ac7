"""A person at a terminal, for tempcreds' tests: runs a command in a pseudo-terminal (its
controlling terminal, so /dev/tty is this), waits for text to appear on it, types lines.

    from pty_session import Session
    s = Session(argv, stdout_path=None)   # stdout_path: stdout goes to that file instead
    s.expect(b"MFA code for")             # count=N waits for the Nth appearance
    s.send("123456")
    s.finish()                            # reads to the end, writes the transcript to
                                          # stderr, exits with the command's exit code
"""
import os
import pty
import sys


class Session:
    def __init__(self, argv, stdout_path=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            if stdout_path:
                out = os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(out, 1)
            os.execv(argv[0], argv)
        self.seen = b""

    def _read(self):
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # the terminal closed: the command ended
            chunk = b""
        self.seen += chunk
        return chunk

    def expect(self, text, count=1):
        while self.seen.count(text) < count:
            if not self._read():
                sys.stderr.write(self.seen.decode(errors="replace"))
                raise SystemExit("ended before %r appeared" % text)

    def send(self, line):
        os.write(self.fd, (line + "\n").encode())

    def finish(self):
        while self._read():
            pass
        _, status = os.waitpid(self.pid, 0)
        sys.stderr.write(self.seen.decode(errors="replace"))
        sys.exit(os.waitstatus_to_exitcode(status))

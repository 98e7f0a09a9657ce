import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from sandbox import SANITIZER_REPORTS, Boxinit, TestCgroups, make_rootfs, unique_tag  # noqa: E402


def assert_no_sanitizer_report(started):
    """Fail the test when a (SANITIZE=1) boxinit printed a sanitizer report."""
    for b in started:
        found = [t for _, t in b.out.matching(lambda t: any(r in t for r in SANITIZER_REPORTS))]
        if found:
            pytest.fail("sanitizer report:\n" + b.out.text()[-6000:], pytrace=False)


@pytest.fixture
def sandbox(tmp_path):
    """sandbox(config_text, files={}) -> a running Boxinit as PID 1 of new namespaces."""
    started = []

    def start(config_text, files=None):
        root = make_rootfs(str(tmp_path / f"root{len(started)}"), config_text, files)
        cg = TestCgroups(unique_tag("boxinit-test"))
        b = Boxinit.sandbox(root, cgroups=cg)
        started.append(b)
        return b

    if os.geteuid() != 0:
        pytest.skip("the sandbox needs root (namespaces, chroot)")
    yield start
    for b in started:
        b.close()
    assert_no_sanitizer_report(started)


@pytest.fixture
def supervisor(tmp_path):
    """supervisor(config_text, args=()) -> a running Boxinit that is not PID 1."""
    started = []

    def start(config_text, args=()):
        path = tmp_path / f"boxinit{len(started)}.conf"
        path.write_text(config_text)
        cg = TestCgroups(unique_tag("boxinit-test-s"))
        b = Boxinit.supervisor(str(path), cgroups=cg, args=args)
        b.config_path = str(path)
        started.append(b)
        return b

    yield start
    for b in started:
        b.close()
    assert_no_sanitizer_report(started)

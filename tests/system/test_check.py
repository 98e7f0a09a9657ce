"""`boxinit --check`: validate a config like `nginx -t`."""
import subprocess

from sandbox import host_boxinit


def check(tmp_path, text):
    p = tmp_path / "boxinit.conf"
    p.write_text(text)
    r = subprocess.run([host_boxinit(), "--check", "--config", str(p)],
                       capture_output=True, text=True, timeout=10)
    return r, str(p)


def test_valid_config_exits_0(tmp_path):
    r, p = check(tmp_path, "hostname = box\nservice.web.exec = /bin/httpd -f\n")
    assert r.returncode == 0, r.stderr
    assert f"{p}: OK (1 services)" in r.stdout
    assert r.stderr == ""


def test_every_error_is_printed_with_file_and_line(tmp_path):
    r, p = check(tmp_path, "\n".join([
        "hostname = box",
        "bogus = 1",
        "service.web.exec = /bin/httpd",
        "service.web.memory = 10Q",
        "service.web.cpu = 0",
        "no equals sign here",
    ]) + "\n")
    assert r.returncode == 1
    err = r.stderr.splitlines()
    assert any(line.startswith(f"{p}:2: ") and "bogus" in line for line in err), err
    assert any(line.startswith(f"{p}:4: ") and "memory" in line for line in err), err
    assert any(line.startswith(f"{p}:5: ") and "cpu" in line for line in err), err
    assert any(line.startswith(f"{p}:6: ") for line in err), err


def test_missing_file_is_an_error(tmp_path):
    r = subprocess.run([host_boxinit(), "--check", "--config", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "none" in r.stderr


def test_version_and_help():
    r = subprocess.run([host_boxinit(), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("boxinit ")
    r = subprocess.run([host_boxinit(), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--check" in r.stdout
    r = subprocess.run([host_boxinit(), "--no-such-flag"], capture_output=True, text=True)
    assert r.returncode == 1


def test_defaults_are_listed_and_their_errors_located(tmp_path):
    r, p = check(tmp_path, "\n".join([
        "service.web.exec = /bin/httpd",
        "default.memory = 64M",
        "default.pids = 128",
    ]) + "\n")
    assert r.returncode == 0, r.stderr
    assert f'default.memory = "64M" ({p}:2)' in r.stdout
    assert f'default.pids = "128" ({p}:3)' in r.stdout
    r, p = check(tmp_path, "service.web.exec = /bin/httpd\ndefault.memry = 64M\n")
    assert r.returncode == 1
    assert f'{p}:2: unknown key "default.memry"' in r.stderr


def test_help_config_lists_every_key():
    r = subprocess.run([host_boxinit(), "--help-config"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for key in ("hostname", "modules", "net.nat", "sysctl.NAME", "iface.NAME.gateway",
                "exec", "env.NAME", "caps", "log_burst_bytes", "ports"):
        assert f"\n  {key} " in out, key
    assert "default 512" in out and "service.NAME.KEY = VALUE" in out
    assert all(len(line) <= 79 for line in out.splitlines()), out
    r = subprocess.run([host_boxinit(), "--help-config=markdown"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    assert "| `memory` | size | `max` |" in r.stdout
    r = subprocess.run([host_boxinit(), "--help-config=roff"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 1
    assert "--help-config=roff: unknown format (expected text or markdown)" in r.stderr
    assert r.stdout == ""

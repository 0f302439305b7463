"""The ``connectors`` command: help, and bad config files reported one line per problem."""

import subprocess
import sys
import textwrap

import pytest

from connectors.cli import build_parser, main


def write(tmp_path, text, name="config.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "ui", "validate-config", "sync", "connector"):
        assert command in out
    with pytest.raises(SystemExit):
        main(["connector", "--help"])
    out = capsys.readouterr().out
    assert "create" in out and "list" in out


def test_every_command_takes_a_config_option():
    parser = build_parser()
    for argv in (
        ["run"],
        ["ui"],
        ["validate-config"],
        ["sync", "--connector-id", "x"],
        ["connector", "list"],
    ):
        args = parser.parse_args(argv + ["-c", "other.yml"])
        assert args.config == "other.yml"


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            """
            elasticsearch:
              host: http://localhost:9200
              bulk:
                chunk_size: abc
            """,
            ["elasticsearch.bulk.chunk_size"],
        ),
        (
            """
            elasticsearch:
              host: http://localhost:9200
            service:
              idling: fast
              unknown_key: 1
            """,
            ["service.idling", "service.unknown_key"],
        ),
        (
            """
            connectors:
              - service_type: confluence
            """,
            ["connectors[0]", "connector_id"],
        ),
        (
            """
            sources:
              fake: "no.such.module:Thing"
            """,
            ["sources.fake", "no.such.module"],
        ),
        (
            """
            sources:
              fake: "tests.framework.fake_source:NoSuchClass"
            """,
            ["sources.fake", "NoSuchClass"],
        ),
        (
            """
            sources:
              fake: "tests.framework.fake_source:make_docs"
            """,
            ["sources.fake", "not a BaseDataSource subclass"],
        ),
        (
            """
            connectors:
              - connector_id: c1
                service_type: jira
            sources:
              fake: "tests.framework.fake_source:FakeDataSource"
            """,
            ["connectors[0].service_type: 'jira' is not one of the configured sources"],
        ),
    ],
)
def test_bad_config_one_line_per_problem_exit_2(tmp_path, capsys, text, expected):
    path = write(tmp_path, text)
    assert main(["validate-config", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for fragment in expected:
        assert fragment in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert all(line.startswith(str(path)) for line in lines), lines


@pytest.mark.parametrize(
    "text, expected",
    [
        ("service: {idling: .nan}", "service.idling: must be a finite number, got nan"),
        ("service: {idling: 1.0e+400}", "service.idling: must be a finite number, got inf"),
        ("elasticsearch: {host: 'ftp://x'}", "elasticsearch.host: must be an absolute URL starting with http://"),
        ("elasticsearch: {host: 'localhost:9200'}", "(did you mean http://localhost:9200?)"),
        ("elasticsearch: {host: 'ht!tp://::::'}", "elasticsearch.host: must be an absolute URL"),
        ("elasticsearch: {ca_certs: /nonexistent.pem}", "elasticsearch.ca_certs: file '/nonexistent.pem' does not exist"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["validate-config", "run"])
def test_values_that_used_to_fail_later_are_refused_by_key(tmp_path, capsys, text, expected, command):
    path = write(tmp_path, text)
    assert main([command, "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"{path}: {err.splitlines()[0].split(': ', 1)[1]}"]  # one line
    assert expected in err and "Traceback" not in err


def test_a_bad_host_from_the_environment_names_the_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CONNECTORS_ELASTICSEARCH_HOST", "[a")
    path = write(tmp_path, "")
    assert main(["validate-config", "-c", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{path}: elasticsearch.host (from CONNECTORS_ELASTICSEARCH_HOST, not valid YAML: read as text): "
        "must be an absolute URL starting with http:// or https://, got '[a'"
    )


def test_two_problems_give_two_lines(tmp_path, capsys):
    path = write(
        tmp_path,
        """
        service:
          idling: fast
          heartbeat: slow
        """,
    )
    assert main(["validate-config", "-c", str(path)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 2
    assert any("service.idling" in line for line in lines)
    assert any("service.heartbeat" in line for line in lines)


def test_missing_and_unparsable_files(tmp_path, capsys):
    assert main(["validate-config", "-c", str(tmp_path / "absent.yml")]) == 2
    assert "absent.yml" in capsys.readouterr().err
    path = write(tmp_path, "elasticsearch: [unclosed\n")
    assert main(["run", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err


def test_valid_config(tmp_path, capsys):
    path = write(
        tmp_path,
        """
        elasticsearch:
          host: http://127.0.0.1:9
        connectors:
          - connector_id: c1
            service_type: fake
        sources:
          fake: tests.framework.fake_source:FakeDataSource
          confluence: tests.framework.fake_source:FakeDataSource
        """,
    )
    assert main(["validate-config", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "1 connector" in out


def test_subprocess_bad_config_no_traceback(tmp_path):
    path = write(tmp_path, "elasticsearch:\n  host: 12\n  verify_certs: maybe\n")
    proc = subprocess.run(
        [sys.executable, "-m", "connectors", "run", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "elasticsearch.host" in proc.stderr
    assert "elasticsearch.verify_certs" in proc.stderr


def test_unreachable_elasticsearch_is_one_line(tmp_path, capsys):
    path = write(
        tmp_path, "elasticsearch:\n  host: http://127.0.0.1:9\n  max_retries: 0\n  request_timeout: 2\n"
    )
    assert main(["connector", "list", "-c", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_ui_command_calls_run_ui_with_config_host_and_port(tmp_path, monkeypatch):
    import connectors.ui

    calls = []
    monkeypatch.setattr(
        connectors.ui, "run_ui", lambda config, host, port: calls.append((config, host, port))
    )
    path = write(tmp_path, "ui:\n  host: 127.0.0.2\n  port: 8111\n")
    assert main(["ui", "-c", str(path)]) == 0
    assert calls[-1][1:] == ("127.0.0.2", 8111)
    assert calls[-1][0]["ui"]["port"] == 8111
    assert main(["ui", "-c", str(path), "--host", "0.0.0.0", "--port", "9000"]) == 0
    assert calls[-1][1:] == ("0.0.0.0", 9000)


def test_run_stops_promptly_on_sigterm_while_waiting_for_elasticsearch(tmp_path):
    import signal
    import time

    # no transport retries: the first "not reachable yet" comes at once instead of after ~7 s of
    # the client's own retries against a dead node
    path = write(tmp_path, "elasticsearch:\n  host: http://127.0.0.1:9\n  max_retries: 0\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "connectors", "run", "-c", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "not reachable yet" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "not reachable yet" in line
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=45)  # less than the 60 s Elasticsearch wait
        assert proc.returncode == 0
        assert "Traceback" not in err
    finally:
        proc.kill()


def test_bad_config_is_reported_before_the_service_is_imported(tmp_path, monkeypatch, capsys):
    """`connectors run` checks the file first: a typo costs no Elasticsearch client import."""
    monkeypatch.setitem(sys.modules, "connectors.services", None)  # importing it now fails
    path = write(tmp_path, "elasticsearch:\n  host: 12\n")
    assert main(["run", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert "elasticsearch.host" in err and "Traceback" not in err

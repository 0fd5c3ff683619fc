"""The console entry point: exit codes for user errors, success and Ctrl-C."""

from __future__ import annotations

import pytest

from workbench import cli


def test_user_error_is_one_line_and_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", str(tmp_path / "nowhere"), "hello"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_success_exits_0(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["locate", "db"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip().endswith("workbench.db")


def test_ctrl_c_exits_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.cli, "main", interrupted)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["locate", "db"])
    assert exit_info.value.code == 130
    assert "interrupted" in capsys.readouterr().err

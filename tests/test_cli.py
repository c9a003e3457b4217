"""The command line, run in-process: help that explains, exit codes that mean something."""
from __future__ import annotations

import pytest
from _golden import SUMMARY

from essaykg.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for name, (_module, short, _long) in COMMANDS.items():
        assert name in out and short.split(" (")[0][:40] in out, name


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_its_own_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert COMMANDS[command][2][:60] in " ".join(capsys.readouterr().out.split())


def test_no_command_means_build(tmp_path, capsys, source_path):
    assert main(["--quiet", "--out", str(tmp_path)]) == 0
    line = capsys.readouterr().out.strip()
    g = SUMMARY
    assert line == (f"built {g['triples']} triples in {len(g['graphs'])} graphs ({g['claim_graphs']} claim graphs): "
                    f"{g['entities']} entities, {g['themes']} themes, {g['claims']} claims, {g['quotations']} "
                    f"quotations; {g['anchors']}/{g['anchors']} anchors verified; "
                    f"paragraphs covered {g['paragraphs']}/{g['paragraphs']}")
    assert (tmp_path / "essay-kg.trig").is_file()


def test_missing_source_is_named(tmp_path, capsys):
    assert main(["build", "--source", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "nope.txt: no such file" in err and "previous artifacts are unchanged" in err
    assert not (tmp_path / "o").exists()


def test_without_source_outside_ci_the_build_says_so(tmp_path, capsys, monkeypatch):
    from essaykg import config

    monkeypatch.setattr(config, "SOURCES_DIR", tmp_path)  # the essay's text file is not in it
    monkeypatch.setenv("CI", "false")
    assert main(["build", "--out", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert (f"WARNING: the text of her-2023 (000_a394dd7dae399d18.txt) is not in {tmp_path}: its anchors were NOT "
            "verified (pass --source her-2023=PATH)") in captured.err
    assert "; 0/191 anchors verified (NOT verified: her-2023);" in captured.out


def test_without_source_in_ci_the_build_fails(tmp_path, capsys, monkeypatch):
    from essaykg import config

    monkeypatch.setattr(config, "SOURCES_DIR", tmp_path)
    monkeypatch.setenv("CI", "true")
    assert main(["build", "--out", str(tmp_path / "o")]) == 1
    assert (f"the text of her-2023 ({tmp_path / '000_a394dd7dae399d18.txt'}) is missing; in CI the anchors must be "
            "verified") in capsys.readouterr().err


def test_altered_source_fails_the_build(tmp_path, capsys, source_path):
    altered = tmp_path / "essay.txt"
    altered.write_text(source_path.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert main(["build", "--source", str(altered), "--out", str(tmp_path / "o")]) == 1
    assert "checksum mismatch" in capsys.readouterr().err

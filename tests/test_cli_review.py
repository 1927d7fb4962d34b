"""``msc-mine review`` command line: the README's form of the main command."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from msc_mine.cli import app
from msc_mine.errors import UsageError
from msc_mine.funnel import load_funnel

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo"
PIPELINE = str(REPO / "pipelines" / "msc_iv_safety.toml")


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env={"MPLCONFIGDIR": os.environ["MPLCONFIGDIR"]})
    return result.exit_code, result.output


def test_one_input_option_takes_several_files_as_the_readme_writes_it(tmp_path: Path) -> None:
    files = [str(DEMO / "demo.xml"), str(DEMO / "demo_extra.nbib")]
    code, output = _run(["review", PIPELINE, "--input", *files, "--out", str(tmp_path)])
    assert code == 0, output
    funnel = load_funnel(tmp_path / "funnel.json")
    assert funnel.identified == {"demo.xml": 48, "demo_extra.nbib": 6}
    assert funnel.screened == 51


def test_stray_file_without_input_option_is_a_usage_error(tmp_path: Path) -> None:
    args = ["review", PIPELINE, str(DEMO / "demo.xml"), "--out", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    # main() turns UsageError into one line on stderr and exit code 2.
    assert isinstance(result.exception, UsageError)
    assert result.exception.exit_code == 2
    assert "--input" in str(result.exception)
    assert not (tmp_path / "funnel.json").exists()

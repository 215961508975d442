"""README's set-up commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_exactly_two_setup_commands():
    commands = setup_commands()
    assert len(commands) == 2
    assert commands[0].endswith("minidl train")


def test_ci_runs_the_readme_test_command():
    test_command = setup_commands()[1]
    activate = ". .venv/bin/activate && "
    assert activate in test_command
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert test_command.split(activate, 1)[1] in ci_script.splitlines()


def test_the_main_job_installs_what_it_needs():
    # `minidl train` reads scikit-learn's bundled data and shows a tqdm bar: the install
    # in README's first command must bring both.
    import tomllib

    first = setup_commands()[0]
    extras = re.search(r'pip install -e "\.\[(\w+)\]"', first)
    assert extras, f"README's first command installs no extra: {first}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = " ".join(project["optional-dependencies"][extras.group(1)])
    assert "scikit-learn" in needed and "tqdm" in needed

"""Executing notebooks on a warm kernel: what one notebook leaves must not reach the next.

Expected values are the known effects of the notebook cells written here: a variable set and
a directory changed by one run, a kernel killed or hung by another.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from shuangjian_eval.run import execution

CODE = (
    "import os, time\n"
    "print('leak' in globals(), os.getcwd())\n"
    "leak = 1\n"
    "os.chdir('/')\n"
    "if mode == 'die':\n    os._exit(1)\n"
    "if mode == 'hang':\n    time.sleep(60)\n"
)


@pytest.fixture()
def notebook(tmp_path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("mode = 'ok'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(CODE)]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def _run(notebook: Path, mode: str) -> list[str]:
    out = notebook.with_name(f"out-{mode}.ipynb")
    execution.execute_notebook(notebook, out, {"mode": mode}, cwd=notebook.parent, timeout=5)
    cells = json.loads(out.read_text())["cells"]
    return [o.get("text", "") for o in cells[-1]["outputs"]]


def test_a_reused_kernel_starts_each_notebook_clean(notebook):
    warm = execution._warm_kernel(str(notebook.parent))
    started = warm.started
    for mode in ("a", "b", "c"):  # each run sets `leak` and leaves the folder: both undone
        assert _run(notebook, mode) == [[f"False {notebook.parent}\n"]]
    assert warm.started - started <= 1  # one kernel for the three notebooks


def test_a_dead_or_hung_kernel_is_replaced(notebook):
    warm = execution._warm_kernel(str(notebook.parent))
    _run(notebook, "a")
    started = warm.started
    with pytest.raises(DeadKernelError):
        _run(notebook, "die")
    with pytest.raises(CellTimeoutError):
        _run(notebook, "hang")
    assert _run(notebook, "a") == [[f"False {notebook.parent}\n"]]
    assert warm.started - started == 2  # after the death, and after the hang
    warm.discard()


def test_pages_give_every_image_a_text_and_every_output_focus(tmp_path):
    """What nbconvert's exporter adds in a pass over the page, the report's own does: every
    image an alternative text (a chart's title when it has one, else a word in the page's
    language) and every output ``tabindex="0"``."""
    import base64
    import re

    from shuangjian_eval.publication.briefing import Chart

    png = base64.b64decode(  # a 1x1 white PNG
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
    )
    nb = nbformat.v4.new_notebook()
    titled = Chart(png, 120, title="作业时长 <和> 睡眠")
    data, meta = titled._repr_png_()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "chart",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"image/png": base64.b64encode(data).decode()},
                    metadata={"image/png": meta},
                ),
                nbformat.v4.new_output(
                    "display_data", data={"image/png": base64.b64encode(png).decode()}
                ),
                nbformat.v4.new_output("display_data", data={"text/markdown": "**说明**"}),
            ],
        )
    ]
    pages = {}
    for lang in ("zh", "en"):
        path = execution.render_html(nb, tmp_path / f"{lang}.html", lang=lang, title="t")
        pages[lang] = path.read_text(encoding="utf-8")
    alts = {lang: re.findall(r'<img\s[^>]*?alt="([^"]*)"', page) for lang, page in pages.items()}
    assert alts == {
        "zh": ["作业时长 &lt;和&gt; 睡眠", "图表"],
        "en": ["作业时长 &lt;和&gt; 睡眠", "Chart"],
    }
    assert len(re.findall(r"<img\s", pages["zh"])) == 2
    assert 'width="120"' in pages["zh"] or "width=120" in pages["zh"]
    outputs = re.findall(r"<div [^>]*jp-OutputArea-output[^>]*>", pages["zh"])
    assert len(outputs) == 3 and all('tabindex="0"' in d for d in outputs)


def test_reports_keep_only_the_language_of_the_run():
    from shuangjian_eval.publication import formatting as fmt

    cell = (
        "## 6. 稳健性检验 · Robustness\n\n同一双重差分在不同设定下的估计。\n\n"
        "The same difference-in-differences under other specifications."
    )
    assert fmt.in_language(cell, "zh") == "## 6. 稳健性检验\n\n同一双重差分在不同设定下的估计。"
    assert fmt.in_language(cell, "en") == (
        "## 6. Robustness\n\nThe same difference-in-differences under other specifications."
    )
    # a Chinese paragraph naming an English term stays Chinese
    assert fmt.text_language('“年级”设计（comparison="grade"）比较义务教育阶段学生') == "zh"

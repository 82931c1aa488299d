"""Executing one report notebook: papermill on a kernel kept warm, then offline HTML.

A report run executes hundreds of short notebooks. Starting a kernel and importing the
package costs about a second each time, more than rendering a region's cached briefing, so
each worker keeps one kernel (:class:`WarmKernel`) and gives it to the next notebook once the
last one has finished well: its namespace is cleared (IPython's ``reset``, a new session, the
working directory restored, figures closed); modules stay imported. A notebook that fails,
times out or kills its kernel takes the kernel with it: the next one starts afresh.
``fresh=True`` starts a new kernel for every notebook, as papermill does by default.

The notebook is written once, when it has finished (or failed), not after every cell: at
report scale the per-cell saves of papermill cost more than the notebook itself.

Two messages of the kernel stack are said once by the run instead of once per kernel: each
kernel's warning that it talks to its worker over TCP without encryption (ipykernel logs it
on the kernel's stderr, which is passed on here without that line; the run says
:data:`TRANSPORT_NOTE` once), and asyncio's "Task exception was never retrieved" traceback of
nbclient's cell task when a kernel dies (the job records the death, and a stopped run says so).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from ..base.files import atomic_write

__all__ = ["TRANSPORT_NOTE", "WarmKernel", "execute_notebook", "render_html"]

KERNEL_NAME = "python3"
#: what a run says once about its kernels (each kernel's own warning is not passed on)
TRANSPORT_NOTE = (
    "kernels run beside their worker and talk to it over TCP on 127.0.0.1, unencrypted "
    "(ipykernel's warning, said once)"
)
# the first words of ipykernel's warning of a kernel on TCP without CurveZMQ keys
_TCP_WARNING = b"Kernel is running over TCP without encryption"
_KERNEL_ARGS = ["--HistoryManager.enabled=False"]
_ENGINE = "sje-warm-kernel"
# run in the kernel between two notebooks; the working directory is passed in. IPython's
# reset ends with a full garbage collection, which walks every object of the imported stack
# (~50 ms a report); what is left after it is the kernel's own and is frozen out of later
# collections (gc.freeze), so that each one walks only what the last notebook made.
_RESET = (
    "get_ipython().reset(new_session=True, aggressive=False)\n"
    "import os as _os, sys as _sys\n"
    "_os.chdir({cwd!r})\n"
    "if 'matplotlib.pyplot' in _sys.modules:\n"
    "    _sys.modules['matplotlib.pyplot'].close('all')\n"
    "import gc as _gc\n"
    "_gc.freeze()\n"
    "del _os, _sys, _gc\n"
)


class WarmKernel:
    """One kernel kept alive between the notebooks a worker runs (see the module notes)."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.km: Any = None
        self.kc: Any = None
        self.started = 0  # kernels started: 1 per worker when every notebook succeeds

    # An asynchronous manager, as nbclient's own: with a blocking one, nbclient could not
    # notice a kernel that dies while a cell runs. Its calls run on the thread's event loop.
    def manager(self) -> Any:
        """The kernel manager of a live kernel, started in ``cwd`` when there is none."""
        from jupyter_core.utils import run_sync

        if self.km is not None and not run_sync(self.km.is_alive)():
            self.discard()
        if self.km is None:
            from jupyter_client.manager import AsyncKernelManager

            _quiet_dead_kernel_tasks()
            km = AsyncKernelManager(kernel_name=KERNEL_NAME)
            # no input history: nobody reads a report kernel's, and it is an SQLite write
            # per cell into the user's IPython profile
            run_sync(km.start_kernel)(
                cwd=self.cwd, extra_arguments=_KERNEL_ARGS, stderr=subprocess.PIPE
            )
            process = getattr(km.provisioner, "process", None)
            if process is not None and process.stderr is not None:
                threading.Thread(
                    target=_pass_on_stderr, args=(process.stderr,), daemon=True
                ).start()
            self.km, self.started = km, self.started + 1
        return self.km

    def client(self) -> tuple[Any, Any]:
        """The manager and a connected client of a live kernel. The client stays with its
        kernel: a new client waits 0.2 s for the kernel's output channel to fall quiet before
        it is ready, a third of a region report's time."""
        from jupyter_core.utils import run_sync

        km = self.manager()
        if self.kc is None:
            kc = km.client()
            kc.start_channels()
            try:
                run_sync(kc.wait_for_ready)(timeout=60)
            except Exception:
                kc.stop_channels()
                self.discard()
                raise
            self.kc = kc
        return km, self.kc

    def discard(self) -> None:
        """Stop the kernel now (after a failure, or when the worker ends)."""
        from jupyter_core.utils import run_sync

        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is None:
            return
        with contextlib.suppress(Exception):  # already gone
            run_sync(km.shutdown_kernel)(now=True)


def _pass_on_stderr(pipe: Any) -> None:
    """Copy a kernel's stderr to this process's, but for ipykernel's transport warning."""
    with contextlib.suppress(OSError, ValueError):
        for line in iter(pipe.readline, b""):
            if _TCP_WARNING not in line:
                os.write(2, line)
    with contextlib.suppress(OSError):
        pipe.close()


def _quiet_dead_kernel_tasks() -> None:
    """On this thread's event loop (the one jupyter_core runs kernels' calls on), drop the
    "Task exception was never retrieved" report of a task that ended because its kernel died;
    everything else goes to the loop's default handler."""
    from jupyter_core.utils import ensure_event_loop
    from nbclient.exceptions import DeadKernelError

    loop = ensure_event_loop()
    if loop.get_exception_handler() is not None:
        return

    def handler(loop: Any, context: dict[str, Any]) -> None:
        if not isinstance(context.get("exception"), DeadKernelError):
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


_LOCAL = threading.local()  # one warm kernel per worker thread (Dask workers may have several)
_ALL: list[WarmKernel] = []


def _warm_kernel(cwd: str) -> WarmKernel:
    kernels = getattr(_LOCAL, "kernels", None)
    if kernels is None:
        kernels = _LOCAL.kernels = {}
    if cwd not in kernels:
        kernels[cwd] = WarmKernel(cwd)
        if not _ALL:
            _register_shutdown()
        _ALL.append(kernels[cwd])
    return kernels[cwd]


def _shutdown_all() -> None:
    for warm in _ALL:
        warm.discard()


def _register_shutdown() -> None:
    """Stop this process's kernels when it ends: pool workers end through multiprocessing's
    finalizers (which run where ``atexit`` does not), other processes through ``atexit``."""
    import atexit
    from multiprocessing import util

    util.Finalize(None, _shutdown_all, exitpriority=10)
    atexit.register(_shutdown_all)


def _reset_kernel(kc: Any, km: Any, code: str, timeout: float = 30.0) -> None:
    """Clear the kernel for the next notebook; stop it when that fails (the next notebook
    then starts a new one)."""
    from jupyter_core.utils import run_sync

    try:
        reply = run_sync(kc.execute_interactive)(
            code, store_history=False, timeout=timeout, output_hook=lambda msg: None
        )
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue')}")
    except Exception:
        with contextlib.suppress(Exception):
            run_sync(km.shutdown_kernel)(now=True)


@functools.cache
def _register_engine() -> None:
    """A papermill engine that runs on a given kernel (and client, when given)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
            start_timeout=60, execution_timeout=None, km=None, kc=None, reset=None, **kwargs,
        ):  # fmt: skip
            import logging

            client = PapermillNotebookClient(
                nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logging.getLogger("papermill"),
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
            )  # fmt: skip
            if kc is not None:  # a client of the warm kernel, connected and ready
                client.kc = kc
            try:
                nb = client.execute()
                if reset is not None:
                    _reset_kernel(client.kc, km, reset)
                return nb
            finally:
                if kc is None and client.kc is not None and km is not None:
                    client.kc.stop_channels()  # the kernel stays, a client made here goes

    papermill_engines.register(_ENGINE, WarmKernelEngine)


def execute_notebook(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str],
    parameters: dict[str, Any],
    *,
    cwd: str | os.PathLike[str],
    timeout: float | None = None,
    fresh: bool = False,
) -> Any:
    """Execute ``notebook`` with ``parameters`` into ``output`` (papermill); returns the
    executed notebook node.

    ``timeout``: seconds a cell may run. ``fresh``: a new kernel for this notebook only.
    Raises what papermill raises (``PapermillExecutionError`` for an error in a cell,
    ``DeadKernelError``, ``CellTimeoutError``); the output notebook is written in any case
    where papermill can (an error in a cell: with the error).
    """
    import papermill

    common = dict(
        parameters=parameters, kernel_name=KERNEL_NAME, progress_bar=False, cwd=str(cwd),
        execution_timeout=timeout, request_save_on_cell_execute=False,
    )  # fmt: skip
    _register_engine()
    warm = WarmKernel(str(cwd)) if fresh else _warm_kernel(str(cwd))
    km, kc = warm.client()
    try:
        return papermill.execute_notebook(
            str(notebook), str(output), engine_name=_ENGINE, km=km, kc=kc,
            reset=None if fresh else _RESET.format(cwd=str(cwd)), **common,
        )  # fmt: skip
    except BaseException:  # the kernel's state is unknown: the next notebook gets a new one
        warm.discard()
        raise
    finally:
        if fresh:
            warm.discard()


# an output's <div>: made focusable, as nbconvert's HTML exporter does (see _exporter_class)
_OUTPUT_DIV = re.compile(r'<div class="(?=[^"]*\bjp-OutputArea-output\b)')


@functools.cache
def _exporter_class() -> Any:
    """nbconvert's HTML exporter without its last step, a BeautifulSoup pass over the whole
    page (two thirds of the time of a region report's page) that gives images without one a
    placeholder alternative text and makes outputs focusable: the report template writes
    each image's text (the chart's title), and outputs get ``tabindex`` here."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name"))
            highlight = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", data_type)
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _OUTPUT_DIV.sub('<div tabindex="0" class="', page), resources

    return ReportHTMLExporter


@functools.cache
def _exporter(lang: str, thread: int) -> Any:
    """An HTML exporter per language and thread (building one costs ~0.2 s)."""
    templates = resources.files(__package__).joinpath("templates")
    return _exporter_class()(
        template_name="sje_report",
        extra_template_basedirs=[str(templates)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="zh" if lang == "zh" else "en",
    )


def render_html(
    notebook: str | Path | Any,
    html_path: str | Path,
    *,
    lang: str = "zh",
    title: str = "",
    subtitle: str = "",
    footer: dict[str, str] | None = None,
) -> Path:
    """Render an executed notebook (a path, or the notebook node just executed) to a
    self-contained HTML page for readers without code.

    Uses the package's own nbconvert template: no code cells, no prompts, no error
    tracebacks' code, nothing requested from another host (no require.js, MathJax or mermaid),
    ``<html lang>`` set, a CJK font stack, print CSS, and a footer (data hash, version, time).
    The notebook's Markdown is bilingual; only the paragraphs in ``lang`` are kept
    (:func:`shuangjian_eval.publication.formatting.in_language`).
    """
    import nbformat

    from ..publication import formatting as fmt

    nb = notebook if isinstance(notebook, dict) else nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:  # the notebooks' own text is bilingual: the reader gets one language
        if cell.get("cell_type") == "markdown":
            cell["source"] = fmt.in_language(cell["source"], lang)
    nb.metadata["sje"] = {"title": title, "subtitle": subtitle, "footer": footer or {}}
    exporter = _exporter("zh" if lang == "zh" else "en", threading.get_ident())
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    atomic_write(Path(html_path), body)
    return Path(html_path)

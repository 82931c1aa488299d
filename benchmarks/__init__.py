"""Benchmarks of shuangjian_eval against its peers; run ``python -m benchmarks.run``.

Not part of the package or of ``make test`` (``tests/test_benchmarks_smoke.py`` runs them at a
tiny size so that the scripts keep working). See ``benchmarks/README.md``.
"""

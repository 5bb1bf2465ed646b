"""Hostile-input probes for the ``graphs`` CLI (issue 13).

* :mod:`probes.gen` — generators: functions that write bad inputs (specs, calibrations, ONNX
  models, ``file.py:factory`` files, fake installed plugins, fake tools, output targets,
  stores, labelled data) into a temporary folder;
* :mod:`probes.base` — what a probe is (:class:`~probes.base.Probe`) and what it sees
  (:class:`~probes.base.Ctx`);
* :mod:`probes.catalog` — every probe, with the outcome it must have;
* :mod:`probes.run` — runs ``graphs`` in a subprocess under an address-space and a wall-time
  limit, snapshots pre-existing files, classifies the outcome (``clean`` / ``ok`` / ``hang`` /
  ``crash`` / ``data lost``) and prints a table. ``python tests/probes/run.py --help``.

``tests/test_probes.py`` runs the fast probes in the default test run and all of them under
``-m slow``.
"""

"""graphs-calibrate: the measurement loop — ``graphs benchmark`` (measure into the results store),
``graphs calibrate`` (fit efficiency curves and overheads: :mod:`graphs_calibrate.fit`) and
``graphs validate`` (estimates against measurements: :mod:`graphs_calibrate.validation`, or a
labelled data folder through the installed ``graphs_register_datasets`` readers)."""

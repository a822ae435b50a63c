"""Charts of the consultation report: drawn from `services.report_series`, sent by /stats,
written by `kelisim report --charts/--html`."""

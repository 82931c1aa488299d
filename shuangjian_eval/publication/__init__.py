"""Publication: labels and formatting, small-cell suppression, the scorecard, sentences, tables, charts, the briefing and the analysis recipes of the notebooks."""

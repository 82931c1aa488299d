"""Estimation: result objects, design-based survey estimates and the effect estimators. General: nothing here needs the codebook or the policy."""

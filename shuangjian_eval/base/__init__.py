"""The base level below the three layers: helpers every layer may import (option and column
checks, atomic file writes). It imports nothing of the package."""

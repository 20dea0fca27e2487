"""Forest and plots: farm outlines (geometry), forest-loss layers, and each farm's
deforestation risk against the cut-off. Below producers and traceability: saving a farm
reassesses it, and traceability builds lots and exports on the result."""

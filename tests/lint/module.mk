# tests/lint/: checks of the code's shape that `make test` runs. layers: no two C files use each
# other (read from the built objects' symbol tables, so it sees what really links).
layers: all
	$(PYTHON) tests/lint/layers.py $(OBJ)

.PHONY: layers

#!/usr/bin/env bash
# The panel of real tables beside Credit Default (docs/panel.md), fetched from the data
# packages Debian ships for R and written as CSV: nothing here is committed.
#
# Usage: bash xtask/scripts/panel_data.sh [OUT_DIR]     (default: target/panel)
#
# For each table: OUT_DIR/NAME/train.csv and test.csv (a seeded 90/10 split of the rows,
# the benchmark habit of Credit Default's split) and OUT_DIR/manifest.json (source package
# and version, rows, columns, target, what the table exercises). The script checks every
# table's shape against the one below and fails, naming the table, if a package changed it.
# Installs r-base-core and the four data packages with apt-get when Rscript lacks them
# (needs root, as on the development machine and in CI).
set -euo pipefail

out="${1:-target/panel}"
mkdir -p "$out"

packages=(r-base-core r-cran-palmerpenguins r-cran-modeldata r-cran-mlbench r-cran-aer)
if ! command -v Rscript >/dev/null ||
    ! Rscript -e 'for (p in c("palmerpenguins","modeldata","mlbench","AER")) if (!requireNamespace(p, quietly=TRUE)) quit(status=1)' >/dev/null 2>&1; then
    echo "panel: installing ${packages[*]} (Debian packages)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >&2
fi

Rscript - "$out" <<'EOF'
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
# name, package, data set, expected rows, expected columns, target, columns dropped, what it is
panel <- list(
  list("penguins", "palmerpenguins", "penguins", 344, 8, "species", character(0),
       "a few hundred rows, missing values, three species"),
  list("attrition", "modeldata", "attrition", 1470, 31, "Attrition", character(0),
       "mixed and wide-ish: 31 columns, 15 categorical"),
  list("cells", "modeldata", "cells", 2019, 57, "class", c("case"),
       "wide and mostly numerical: 56 measurements of cell images"),
  list("credit_data", "modeldata", "credit_data", 4454, 14, "Status", character(0),
       "4,454 loan applications with missing values and a binary target"),
  list("lending_club", "modeldata", "lending_club", 9857, 23, "Class", character(0),
       "loans: amounts, rates, categorical terms and states"),
  list("shuttle", "mlbench", "Shuttle", 58000, 10, "Class", character(0),
       "58,000 rows of numerical sensor readings, seven classes"),
  list("fertility", "AER", "Fertility", 254654, 8, "morekids", character(0),
       "254,654 census rows, mostly categorical")
)
manifest <- character(0)
for (t in panel) {
  name <- t[[1]]; pkg <- t[[2]]; set <- t[[3]]
  e <- new.env()
  data(list = set, package = pkg, envir = e)
  x <- as.data.frame(get(set, envir = e))
  x <- x[, setdiff(names(x), t[[7]]), drop = FALSE]
  if (nrow(x) != t[[4]] || ncol(x) != t[[5]]) {
    stop(sprintf("panel table %s (%s::%s) has %d x %d, expected %d x %d: the package changed",
                 name, pkg, set, nrow(x), ncol(x), t[[4]], t[[5]]))
  }
  set.seed(1234)
  order <- sample.int(nrow(x))
  n_train <- round(0.9 * nrow(x))
  dir.create(file.path(out, name), showWarnings = FALSE, recursive = TRUE)
  for (part in c("train", "test")) {
    rows <- if (part == "train") order[seq_len(n_train)] else order[-seq_len(n_train)]
    path <- file.path(out, name, paste0(part, ".csv"))
    tmp <- paste0(path, ".tmp")
    write.csv(x[rows, , drop = FALSE], tmp, row.names = FALSE, na = "")
    file.rename(tmp, path)
  }
  categorical <- sum(sapply(x, function(c) is.factor(c) || is.character(c) || is.logical(c)))
  manifest <- c(manifest, sprintf(
    '  {"name": "%s", "package": "%s", "version": "%s", "data_set": "%s", "rows": %d, "train_rows": %d, "columns": %d, "categorical_columns": %d, "missing_cells": %d, "target": "%s", "about": "%s"}',
    name, pkg, as.character(packageVersion(pkg)), set, nrow(x), n_train, ncol(x),
    categorical, sum(is.na(x)), t[[6]], t[[8]]))
  cat(sprintf("panel: %-12s %7d rows x %2d columns (%s::%s)\n", name, nrow(x), ncol(x), pkg, set))
}
writeLines(c("[", paste(manifest, collapse = ",\n"), "]"), file.path(out, "manifest.json"))
EOF
echo "panel: tables in $out (manifest.json lists them)" >&2

# Reference values for tests/test_small_clusters.py: the CR2 cluster-robust joint Wald test
# (Hotelling's T^2 approximation, "HTZ"; Pustejovsky and Tipton 2018) of event-study
# coefficients, R clubSandwich::Wald_test(fit, constrain_zero(...), vcov = "CR2",
# test = "HTZ").
#
# Data: fe_cluster_data.csv (see fe_cluster_reference.R). Event study with reference wave
# 2019: es<w> = pilot * (wave == w) for w = 2020, 2021, 2022; lm() of homework_min_weekday on
# pilot + factor(wave) + es terms ("none"), or on factor(school_id) + factor(wave) + es terms
# ("school+wave"), weighted or not, on all 30 schools or the first 10. Hypotheses: es2020 and
# es2021 are zero (q = 2; the leads when the policy starts in 2022), all three (q = 3), es2020
# alone (q = 1).
# Run:  Rscript cr2_wald_reference.R   (R 4.2.2, clubSandwich 0.5.8 from Debian bookworm)
# Output: cr2_wald_reference.csv: subset, fe, weighted, terms, Fstat, delta, df_num,
# df_denom, p_val.
suppressPackageStartupMessages(library(clubSandwich))
d0 <- read.csv("fe_cluster_data.csv", stringsAsFactors = FALSE)
for (w in c(2020, 2021, 2022)) d0[[paste0("es", w)]] <- d0$pilot * (d0$wave == w)
schools <- sort(unique(d0$school_id))
hyps <- list(c("es2020", "es2021"), c("es2020", "es2021", "es2022"), "es2020")
rows <- list()
for (subset in c("all", "first10")) {
  d <- if (subset == "all") d0 else d0[d0$school_id %in% schools[1:10], ]
  d$school_f <- factor(d$school_id)
  d$wave_f <- factor(d$wave)
  for (fe in c("none", "school+wave")) {
    rhs <- if (fe == "none") "pilot + wave_f" else "school_f + wave_f"
    f <- as.formula(paste("homework_min_weekday ~", rhs, "+ es2020 + es2021 + es2022"))
    for (weighted in c(FALSE, TRUE)) {
      m <- if (weighted) lm(f, data = d, weights = weight) else lm(f, data = d)
      for (h in hyps) {
        wt <- Wald_test(m, constraints = constrain_zero(h), vcov = "CR2",
                        cluster = d$school_id, test = "HTZ")
        rows[[length(rows) + 1]] <- data.frame(
          subset = subset, fe = fe, weighted = weighted, terms = paste(h, collapse = "+"),
          Fstat = wt$Fstat, delta = wt$delta, df_num = wt$df_num, df_denom = wt$df_denom,
          p_val = wt$p_val)
      }
    }
  }
}
out <- do.call(rbind, rows)
write.csv(out, "cr2_wald_reference.csv", row.names = FALSE)
print(out, digits = 12)

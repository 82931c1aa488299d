# Reference values for tests/test_small_clusters.py: CR2 (Bell-McCaffrey) cluster-robust
# standard errors and Satterthwaite degrees of freedom of a DID regression, from R lm() with
# the fixed effects as dummies and clubSandwich.
#
# Data: fe_cluster_data.csv (see fe_cluster_reference.R); post = wave >= 2021 (so that
# treated_post = pilot * post). Specifications: the fixed effects (two-way school + wave,
# wave only, none), weighted or not, log_income covariate or not; and (fe = before_after)
# the change of the (weighted) mean from 2019 to 2022 as lm(y ~ after) on those two waves.
# Clusters: all 30 schools, and the first 10 schools only (a few clusters).
# Run:  Rscript cr2_reference.R   (R 4.2.2, clubSandwich 0.5.8 from Debian bookworm:
# apt-get install r-cran-clubsandwich)
# Output: cr2_reference.csv, one row per specification and coefficient: estimate, CR2 se,
# Satterthwaite df and p-value (coef_test(test = "Satterthwaite")).
suppressPackageStartupMessages(library(clubSandwich))
d0 <- read.csv("fe_cluster_data.csv", stringsAsFactors = FALSE)
d0$post <- as.integer(d0$wave >= 2021)
stopifnot(all(d0$treated_post == d0$pilot * d0$post))
schools <- sort(unique(d0$school_id))
rows <- list()
for (subset in c("all", "first10")) {
  d <- if (subset == "all") d0 else d0[d0$school_id %in% schools[1:10], ]
  d$school_f <- factor(d$school_id)
  d$wave_f <- factor(d$wave)
  for (fe in c("school+wave", "wave", "none")) {
    for (weighted in c(FALSE, TRUE)) {
      for (covariate in c(FALSE, TRUE)) {
        rhs <- switch(fe,
          "school+wave" = "treated_post + school_f + wave_f",
          "wave" = "pilot + treated_post + wave_f",
          "none" = "pilot + post + treated_post")
        if (covariate) rhs <- paste("log_income +", rhs)
        f <- as.formula(paste("homework_min_weekday ~", rhs))
        m <- if (weighted) lm(f, data = d, weights = weight) else lm(f, data = d)
        vc <- vcovCR(m, cluster = d$school_id, type = "CR2")
        ct <- coef_test(m, vcov = vc, test = "Satterthwaite")
        terms <- intersect(c("treated_post", "log_income", "pilot", "post"), rownames(ct))
        for (term in terms) {
          rows[[length(rows) + 1]] <- data.frame(
            subset = subset, fe = fe, weighted = weighted, covariate = covariate,
            term = term, estimate = ct[term, "beta"], se_cr2 = ct[term, "SE"],
            df_satterthwaite = ct[term, "df_Satt"], p_satterthwaite = ct[term, "p_Satt"],
            nobs = nobs(m), n_clusters = length(unique(d$school_id))
          )
        }
      }
    }
  }
  # before_after: the difference of (weighted) means 2019 -> 2022 as lm(y ~ after)
  b <- d[d$wave %in% c(2019, 2022), ]
  b$after <- as.integer(b$wave == 2022)
  for (weighted in c(FALSE, TRUE)) {
    m <- if (weighted) {
      lm(homework_min_weekday ~ after, data = b, weights = weight)
    } else {
      lm(homework_min_weekday ~ after, data = b)
    }
    ct <- coef_test(m, vcov = vcovCR(m, cluster = b$school_id, type = "CR2"),
                    test = "Satterthwaite")
    rows[[length(rows) + 1]] <- data.frame(
      subset = subset, fe = "before_after", weighted = weighted, covariate = FALSE,
      term = "after", estimate = ct["after", "beta"], se_cr2 = ct["after", "SE"],
      df_satterthwaite = ct["after", "df_Satt"], p_satterthwaite = ct["after", "p_Satt"],
      nobs = nobs(m), n_clusters = length(unique(b$school_id))
    )
  }
}
out <- do.call(rbind, rows)
write.csv(out, "cr2_reference.csv", row.names = FALSE)  # 15 significant digits
print(out, digits = 10)

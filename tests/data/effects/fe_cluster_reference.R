# Reference values for tests/test_did.py: cluster-robust and HC1 standard errors of a
# two-way fixed-effects regression, from R lm() with school and wave dummies and the
# sandwich package.
#
# Data: fe_cluster_data.csv (synthetic: shuangjian_eval.synth.generate(n_schools=32,
# students_per_school=12, waves=(2019, 2020, 2021, 2022), n_counties=8, seed=11), grades 1-9,
# rows with observed homework minutes; columns rounded as written).
# Run:  Rscript fe_cluster_reference.R   (R 4.2.2, sandwich 3.0-2, lmtest 0.9-40 from Debian
# bookworm: apt-get install r-cran-sandwich r-cran-lmtest)
# Output: fe_cluster_reference.csv, one row per specification; se_* are standard errors of
# the coefficient of treated_post.
suppressPackageStartupMessages({library(sandwich); library(lmtest)})
d <- read.csv("fe_cluster_data.csv", stringsAsFactors = FALSE)
d$school_id <- factor(d$school_id)
d$wave <- factor(d$wave)
rows <- list()
for (weighted in c(FALSE, TRUE)) {
  for (covariate in c(FALSE, TRUE)) {
    f <- if (covariate) {
      homework_min_weekday ~ treated_post + log_income + school_id + wave
    } else {
      homework_min_weekday ~ treated_post + school_id + wave
    }
    m <- if (weighted) lm(f, data = d, weights = weight) else lm(f, data = d)
    vc <- vcovCL(m, cluster = ~school_id, type = "HC1")
    vh <- vcovHC(m, type = "HC1")
    ct <- coeftest(m, vcov. = vc)
    rows[[length(rows) + 1]] <- data.frame(
      weighted = weighted, covariate = covariate,
      estimate = unname(coef(m)["treated_post"]),
      se_cluster_hc1 = sqrt(vc["treated_post", "treated_post"]),
      se_hc1 = sqrt(vh["treated_post", "treated_post"]),
      se_nonrobust = sqrt(vcov(m)["treated_post", "treated_post"]),
      p_cluster_hc1 = ct["treated_post", 4],
      nobs = nobs(m), k_lm = length(coef(m)), n_clusters = nlevels(d$school_id),
      n_waves = nlevels(d$wave)
    )
  }
}
out <- do.call(rbind, rows)
write.csv(out, "fe_cluster_reference.csv", row.names = FALSE)  # 15 significant digits
print(out, digits = 10)

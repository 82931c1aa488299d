# Reference values for tests/test_design_based.py: design-based regression, R survey::svyglm
# (gaussian), on calibrated designs and for a before/after comparison.
#
# Cases:
# - did_cal_clus, did_cal_clus_missing: the calibrated apiclus1 design `cal` of
#   api_designs.R; api00 ~ treated * post + ell (+ acs.k3, missing for some schools: the
#   complete cases), treated = api99 > 650, post = meals > 40;
# - did_rake_strat: apistrat raked on sch.wide and meals_hi (../calibrate_totals.csv);
#   api00 ~ treated * post + ell;
# - synthetic: ../effects/fe_cluster_data.csv with homework_min_weekday missing for every row
#   of its first school (the PSU drops out of the fit and of the residual df), as the design
#   svydesign(id = ~school_id, strata = ~pilot, weights = ~weight, fpc = ~fpc) with
#   fpc = 60 schools per stratum ("syn"), and that design calibrated on the waves,
#   calibrate(syn, ~factor(wave), 5000 students a wave) ("syn_cal");
#   ba_syn, ba_syn_cal: before/after, homework_min_weekday ~ after on
#   subset(design, wave %in% c(2019, 2022)), after = wave == 2022;
#   did_syn, did_syn_cal: homework_min_weekday ~ pilot * post, post = wave >= 2021.
# Run:  Rscript svyglm_calibrated_reference.R   (R 4.2.2, survey 4.1-1 from Debian bookworm)
# Output: svyglm_calibrated_reference.csv: case, term, estimate, se, df_residual, p_value.
source("api_designs.R")  # strat, clus, cal, rk; keep()
did_terms <- c("(Intercept)", "treated", "post", "treated:post")
for (name in c("cal", "rake")) {
  design <- if (name == "cal") cal else rk
  design <- update(design, treated = as.integer(api99 > 650), post = as.integer(meals > 40))
  if (name == "cal") {
    keep("did_cal_clus", svyglm(api00 ~ treated * post + ell, design = design),
         c(did_terms, "ell"))
    keep("did_cal_clus_missing", svyglm(api00 ~ treated * post + acs.k3, design = design),
         c(did_terms, "acs.k3"))
  } else {
    keep("did_rake_strat", svyglm(api00 ~ treated * post + ell, design = design),
         c(did_terms, "ell"))
  }
}
fe <- read.csv("../effects/fe_cluster_data.csv")
fe$homework_min_weekday[fe$school_id == sort(unique(fe$school_id))[1]] <- NA
fe$fpc <- 60
fe$after <- as.integer(fe$wave == 2022)
fe$post <- as.integer(fe$wave >= 2021)
syn <- svydesign(id = ~school_id, strata = ~pilot, weights = ~weight, fpc = ~fpc, data = fe)
syn_cal <- calibrate(syn, ~factor(wave),
                     c(`(Intercept)` = 20000, `factor(wave)2020` = 5000,
                       `factor(wave)2021` = 5000, `factor(wave)2022` = 5000))
for (name in c("syn", "syn_cal")) {
  design <- if (name == "syn") syn else syn_cal
  keep(paste0("ba_", name),
       svyglm(homework_min_weekday ~ after, design = subset(design, wave %in% c(2019, 2022))),
       "after")
  keep(paste0("did_", name), svyglm(homework_min_weekday ~ pilot * post, design = design),
       c("(Intercept)", "pilot", "post", "pilot:post"))
}
out <- do.call(rbind, rows)
write.csv(out, "svyglm_calibrated_reference.csv", row.names = FALSE)
print(out, digits = 12)

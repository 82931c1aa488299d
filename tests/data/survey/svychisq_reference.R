# Reference values for tests/test_survey_chisq_var.py: Rao-Scott tests of independence in two-way
# tables, R survey::svychisq (statistic = "F", the default, and "Chisq").
#
# Designs (api_designs.R), on the API samples in ../ (the CSV files of survey's data(api)):
# - strat: svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat);
# - clus:  svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1);
# - cal:   calibrate(clus, ~stype + api99, population totals of ../calibrate_totals.csv);
# - rake:  rake(strat, list(~sch.wide, ~meals_hi), the same totals), to epsilon 1e-13.
# Derived columns: meals_hi = meals > 50 ("yes"/"no"); ell_cat = ell in [0, 10] "low",
# (10, 30] "mid", above "high"; k3_big = acs.k3 > 20 ("yes"/"no", NA where acs.k3 is NA).
# A domain is svychisq on subset(design, <condition>).
# Run:  Rscript svychisq_reference.R   (R 4.2.2, survey 4.1-1 from Debian bookworm)
# Output: svychisq_reference.csv: case, design, domain, rows, cols, statistic (F or Chisq),
# value, ndf, ddf (NA for Chisq), p_value.
source("api_designs.R")  # strat, clus, cal, rk and the derived columns
rows <- list()
run <- function(case, dname, design, r, c, domain = "") {
  f <- as.formula(paste0("~", r, " + ", c))
  for (s in c("F", "Chisq")) {
    x <- svychisq(f, design, statistic = s)
    ndf <- if (s == "F") x$parameter[["ndf"]] else x$parameter[["df"]]
    ddf <- if (s == "F") x$parameter[["ddf"]] else NA
    rows[[length(rows) + 1]] <<- data.frame(
      case = case, design = dname, domain = domain, rows = r, cols = c, statistic = s,
      value = unname(x$statistic), ndf = ndf, ddf = ddf, p_value = x$p.value)
  }
}
run("strat_sch_stype", "strat", strat, "sch.wide", "stype")
run("strat_stype_ell", "strat", strat, "stype", "ell_cat")
run("strat_domain_yes", "strat", subset(strat, meals_hi == "yes"), "sch.wide", "ell_cat",
    "meals_hi=yes")
run("strat_domain_no", "strat", subset(strat, meals_hi == "no"), "sch.wide", "ell_cat",
    "meals_hi=no")
run("clus_sch_stype", "clus", clus, "sch.wide", "stype")
run("clus_missing", "clus", clus, "k3_big", "meals_hi")
run("clus_domain_E", "clus", subset(clus, stype == "E"), "sch.wide", "ell_cat", "stype=E")
run("cal_sch_ell", "cal", cal, "sch.wide", "ell_cat")
run("cal_domain_yes", "cal", subset(cal, meals_hi == "yes"), "sch.wide", "stype",
    "meals_hi=yes")
run("rake_stype_ell", "rake", rk, "stype", "ell_cat")
out <- do.call(rbind, rows)
write.csv(out, "svychisq_reference.csv", row.names = FALSE)
print(out, digits = 12)

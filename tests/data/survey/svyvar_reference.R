# Reference values for tests/test_survey_chisq_var.py: design-based variances and covariances,
# R survey::svyvar (and svyby(..., svyvar) for domains), estimate and standard error.
#
# Designs as in svychisq_reference.R: strat (apistrat, strata stype, fpc), clus (apiclus1,
# PSU dnum, fpc), cal (clus calibrated on ~stype + api99). na.rm = TRUE where a variable has
# missing values (acs.k3); svyvar's divisor n/(n - 1) counts the rows of the design (or
# domain) with a non-zero weight, those where the variable is missing included.
# Run:  Rscript svyvar_reference.R   (R 4.2.2, survey 4.1-1 from Debian bookworm)
# Output: svyvar_reference.csv: case, design, domain, term (variable, or "x,y" for a
# covariance), estimate, se.
source("api_designs.R")  # strat, clus, cal and the derived columns
rows <- list()
add <- function(case, dname, domain, term, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, design = dname, domain = domain,
                                          term = term, estimate = est, se = se)
}
one <- function(case, dname, design, f, na.rm = FALSE) {
  v <- svyvar(f, design, na.rm = na.rm)
  est <- as.vector(as.matrix(v))
  se <- sqrt(diag(attr(v, "var")))
  vars <- all.vars(f)
  terms <- if (length(vars) == 1) vars else
    as.vector(outer(vars, vars, function(a, b) ifelse(a == b, a, paste0(a, ",", b))))
  for (i in seq_along(est)) add(case, dname, "", terms[i], est[i], se[i])
}
one("strat_api00", "strat", strat, ~api00)
one("strat_two", "strat", strat, ~api00 + ell)
one("clus_api00", "clus", clus, ~api00)
one("clus_missing", "clus", clus, ~acs.k3, na.rm = TRUE)
one("clus_two_missing", "clus", clus, ~api00 + acs.k3, na.rm = TRUE)
one("cal_api00", "cal", cal, ~api00)
one("cal_two", "cal", cal, ~api00 + enroll)
by_dom <- function(case, dname, design, var, na.rm = FALSE) {
  b <- svyby(as.formula(paste0("~", var)), ~stype, design, svyvar, na.rm = na.rm)
  for (i in seq_len(nrow(b))) add(case, dname, paste0("stype=", b$stype[i]), var,
                                  coef(b)[i], SE(b)[i])
}
by_dom("strat_by", "strat", strat, "api00")
by_dom("clus_by", "clus", clus, "api00")
by_dom("clus_by_missing", "clus", clus, "acs.k3", na.rm = TRUE)
by_dom("cal_by", "cal", cal, "api00")
out <- do.call(rbind, rows)
write.csv(out, "svyvar_reference.csv", row.names = FALSE)
print(out, digits = 12)

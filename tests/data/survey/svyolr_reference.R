# Reference values for tests/test_ordinal.py: design-based proportional-odds model, R
# survey::svyolr, for ordinal_logit(design=).
#
# Parameterisation: svyolr fits logit P(Y <= k) = zeta_k - x'beta (coefficients beta, cut
# points zeta named "1|2", "2|3", ...), which is ordinal_logit's logit P(Y <= j) = theta_j -
# x'beta: the coefficients and cut points compare one to one, with the same signs; only the
# names of dummies differ (R "stypeH" is ours "stype[H]").
#
# Cases (ordered outcomes as integer codes 1, 2, ... made factors):
# - clus: apiclus1, svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc) (`clus` of
#   api_designs.R); mealcat = 1 + (meals > 25) + (meals > 50) + (meals > 75) (the cut of the
#   svyolr help page) ~ ell + api99h + stype, api99h = api99 / 100;
# - clus_missing: the same design; api3 = 1 + (api00 > 600) + (api00 > 750) ~ ell + acs.k3
#   (acs.k3 is missing for the high and middle schools: svyolr fits the complete cases, the
#   districts without one stay in the design with zero PSU totals);
# - strat: apistrat, svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc) (`strat`);
#   api4 = 1 + (api00 > 550) + (api00 > 650) + (api00 > 750) ~ ell + meals + sch.wide;
# - syn: ../effects/fe_cluster_data.csv as a stratified cluster sample with fpc,
#   svydesign(id = ~school_id, strata = ~pilot, weights = ~weight, fpc = ~fpc), fpc = 60
#   schools per stratum, the outcome missing for every row of the first school (its PSU leaves
#   the fit and the df); hw4 = 1 + (homework_min_weekday > 25) + (> 50) + (> 80) ~ pilot +
#   wave_f + log_income, wave_f = factor(wave);
# - cal: the calibrated apiclus1 design `cal` of api_designs.R (calibrate(clus, ~stype +
#   api99) to ../calibrate_totals.csv); the model of clus;
# - rake: the raked apistrat design `rk` of api_designs.R (sch.wide, meals_hi); the model of
#   strat;
# - syn_cal: the syn design on the complete data calibrated on the waves,
#   calibrate(., ~wave_f, 5000 students a wave); the model of syn. (survey 4.1-1's svyolr fails
#   on a calibrated design with missing values: the weights of all rows meet the complete
#   cases' model frame, hence no calibrated case with missing values.)
#
# Precision: svyolr maximises with optim(method = "BFGS", hessian = TRUE, ...), whose defaults
# stop about 1e-4 (relative) short of the maximum and take the Hessian by differences of the
# gradient with step ndeps = 1e-3 (about 1e-5 relative in the standard errors).
# control = list(reltol = 1e-15, maxit = 5000, ndeps = 1e-5), passed through svyolr's `...`
# to optim, gives the maximum and its Hessian to about 1e-9; the estimator is the same.
#
# Run:  cd tests/data/survey && Rscript svyolr_reference.R
#       (R 4.2.2 Patched (2022-11-10 r83330), survey 4.1.1, Debian bookworm packages)
# Output: svyolr_reference.csv, after '#' comment lines with the versions: case, term, type
# ("coefficient" or "cutpoint"), estimate, se, df_residual (svyolr's df.residual: degf of
# the design of the rows in the fit minus the number of coefficients), nobs.
source("api_designs.R")  # clus, strat, cal, rk
rows <- list()
fit <- function(case, formula, design) {
  k <- length(coef(svyolr(formula, design = design)))  # coefficients and cut points
  m <- svyolr(formula, design = design,
              control = list(reltol = 1e-15, maxit = 5000, ndeps = rep(1e-5, k)))
  stopifnot(m$convergence == 0)
  se <- sqrt(diag(vcov(m)))
  est <- c(m$coefficients, m$zeta)
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, term = names(est),
    type = rep(c("coefficient", "cutpoint"), c(length(m$coefficients), length(m$zeta))),
    estimate = unname(est), se = unname(se[names(est)]), df_residual = m$df.residual,
    nobs = length(m$fitted.values[, 1]))
}
api_vars <- function(d) {
  update(d, mealcat = factor(1 + (meals > 25) + (meals > 50) + (meals > 75)),
         api99h = api99 / 100, api3 = factor(1 + (api00 > 600) + (api00 > 750)),
         api4 = factor(1 + (api00 > 550) + (api00 > 650) + (api00 > 750)))
}
fit("clus", mealcat ~ ell + api99h + stype, api_vars(clus))
fit("clus_missing", api3 ~ ell + acs.k3, api_vars(clus))
fit("strat", api4 ~ ell + meals + sch.wide, api_vars(strat))
fit("cal", mealcat ~ ell + api99h + stype, api_vars(cal))
fit("rake", api4 ~ ell + meals + sch.wide, api_vars(rk))
fe <- read.csv("../effects/fe_cluster_data.csv")
fe$fpc <- 60
fe$wave_f <- factor(fe$wave)
fe$hw4 <- factor(1 + (fe$homework_min_weekday > 25) + (fe$homework_min_weekday > 50) +
                 (fe$homework_min_weekday > 80))
miss <- fe
miss$hw4[miss$school_id == sort(unique(miss$school_id))[1]] <- NA
syn <- svydesign(id = ~school_id, strata = ~pilot, weights = ~weight, fpc = ~fpc, data = miss)
fit("syn", hw4 ~ pilot + wave_f + log_income, syn)
syn_full <- svydesign(id = ~school_id, strata = ~pilot, weights = ~weight, fpc = ~fpc, data = fe)
syn_cal <- calibrate(syn_full, ~wave_f,
                     c(`(Intercept)` = 20000, wave_f2020 = 5000, wave_f2021 = 5000,
                       wave_f2022 = 5000))
fit("syn_cal", hw4 ~ pilot + wave_f + log_income, syn_cal)
out <- do.call(rbind, rows)
con <- file("svyolr_reference.csv", "w")
writeLines(c(paste0("# ", R.version.string, "; survey ", packageVersion("survey")),
             "# written by svyolr_reference.R (see there for the cases)"), con)
write.csv(out, con, row.names = FALSE)
close(con)
print(out, digits = 12)

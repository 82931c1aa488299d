## Reference values for tests/test_calibration.py: calibrate() and rake() of R's survey package.
## Run with R 4.2.2 and survey 4.1-1 (Debian bookworm packages r-base-core, r-cran-survey):
##   cd tests/data && Rscript calibrate_reference.R
## Writes calibrate_totals.csv (the population totals each case calibrates to, from R's apipop),
## calibrate_reference.csv (estimates and standard errors) and calibrate_weights.csv (the
## calibrated weights of every case, row by row in the order of the api*.csv files).
suppressMessages(library(survey))
data(api)
options(digits = 15, survey.lonely.psu = "fail")
apiclus1$meals_hi <- ifelse(apiclus1$meals > 50, "yes", "no")
apistrat$meals_hi <- ifelse(apistrat$meals > 50, "yes", "no")
apisrs$meals_hi <- ifelse(apisrs$meals > 50, "yes", "no")
apipop$meals_hi <- ifelse(apipop$meals > 50, "yes", "no")

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dsrs_now <- suppressWarnings(svydesign(id = ~1, data = apisrs))  # no weights: equal weights 1

## population totals from the population file apipop
N <- nrow(apipop)
n_stype <- table(apipop$stype)
n_sch <- table(apipop$sch.wide)
n_meals <- table(apipop$meals_hi)
t_api99 <- sum(apipop$api99)
totals <- rbind(
  data.frame(margin = "stype", category = names(n_stype), total = as.vector(n_stype)),
  data.frame(margin = "sch.wide", category = names(n_sch), total = as.vector(n_sch)),
  data.frame(margin = "meals_hi", category = names(n_meals), total = as.vector(n_meals)),
  data.frame(margin = "api99", category = "", total = t_api99)
)
write.csv(totals, "calibrate_totals.csv", row.names = FALSE)

pop_stype_api99 <- c(`(Intercept)` = N, stypeH = n_stype[["H"]], stypeM = n_stype[["M"]],
                     api99 = t_api99)
pop_sch_api99 <- c(`(Intercept)` = N, sch.wideYes = n_sch[["Yes"]], api99 = t_api99)
pop_stype_meals <- c(`(Intercept)` = N, stypeH = n_stype[["H"]], stypeM = n_stype[["M"]],
                     meals_hiyes = n_meals[["yes"]])
pop_stype <- c(`(Intercept)` = N, stypeH = n_stype[["H"]], stypeM = n_stype[["M"]])

cases <- list(
  clus_linear = calibrate(dclus1, ~stype + api99, pop_stype_api99),
  clus_raking = calibrate(dclus1, ~stype + meals_hi, pop_stype_meals, calfun = "raking",
                          epsilon = 1e-12, maxit = 100),
  clus_logit = calibrate(dclus1, ~stype + api99, pop_stype_api99, calfun = "logit",
                         bounds = c(0.7, 1.7), epsilon = 1e-12, maxit = 100),
  clus_truncated = calibrate(dclus1, ~stype + api99, pop_stype_api99, calfun = "linear",
                             bounds = c(0.7, 1.7), epsilon = 1e-12, maxit = 100),
  clus_rake = rake(dclus1, list(~stype, ~meals_hi),
                   list(data.frame(stype = names(n_stype), Freq = as.vector(n_stype)),
                        data.frame(meals_hi = names(n_meals), Freq = as.vector(n_meals))),
                   control = list(maxit = 200, epsilon = 1e-13)),
  strat_linear = calibrate(dstrat, ~sch.wide + api99, pop_sch_api99),
  strat_numeric_only = calibrate(dstrat, ~api99 - 1, c(api99 = t_api99)),
  strat_rake = rake(dstrat, list(~sch.wide, ~meals_hi),
                    list(data.frame(sch.wide = names(n_sch), Freq = as.vector(n_sch)),
                         data.frame(meals_hi = names(n_meals), Freq = as.vector(n_meals))),
                    control = list(maxit = 200, epsilon = 1e-13)),
  srs_noweights_linear = calibrate(dsrs_now, ~stype, pop_stype)
)
data_of <- list(clus = apiclus1, strat = apistrat, srs = apisrs)

rows <- list()
add <- function(case, call, term, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, call = call, term = term,
                                          estimate = as.vector(est), std_error = as.vector(se))
}
weights_out <- list()
for (case in names(cases)) {
  d <- cases[[case]]
  weights_out[[case]] <- data.frame(case = case, row = seq_along(weights(d)), weight = weights(d))
  m <- svymean(~api00, d); add(case, "svymean(~api00)", "api00", coef(m), SE(m))
  t <- svytotal(~api00, d); add(case, "svytotal(~api00)", "api00", coef(t), SE(t))
  t <- svytotal(~enroll, d, na.rm = TRUE)
  add(case, "svytotal(~enroll, na.rm=TRUE)", "enroll", coef(t), SE(t))
  m <- svymean(~acs.k3, d, na.rm = TRUE)
  add(case, "svymean(~acs.k3, na.rm=TRUE)", "acs.k3", coef(m), SE(m))
  p <- svymean(~sch.wide, d)
  add(case, "svymean(~sch.wide)", names(coef(p)), coef(p), SE(p))
  b <- svyby(~api00, ~sch.wide, d, svymean)
  add(case, "svyby(~api00, ~sch.wide, svymean)", paste0("sch.wide=", b$sch.wide), coef(b), SE(b))
  b <- svyby(~api00, ~stype, d, svytotal)
  add(case, "svyby(~api00, ~stype, svytotal)", paste0("stype=", b$stype), coef(b), SE(b))
  b <- svyby(~acs.k3, ~sch.wide, d, svymean, na.rm = TRUE)
  add(case, "svyby(~acs.k3, ~sch.wide, svymean, na.rm=TRUE)", paste0("sch.wide=", b$sch.wide),
      coef(b), SE(b))
  ## difference of two domain means: the slope of a saturated svyglm (svyby(covmat=TRUE)
  ## fails on calibrated designs in survey 4.1-1)
  g <- svyglm(api00 ~ sch.wide, design = d)
  add(case, "svyglm(api00 ~ sch.wide): sch.wideYes", "api00: Yes - No",
      coef(g)[["sch.wideYes"]], sqrt(vcov(g)["sch.wideYes", "sch.wideYes"]))
  q <- svyquantile(~api00, d, 0.5, ci = TRUE)
  add(case, "svyquantile(~api00, 0.5, ci=TRUE)", "api00@q0.5", coef(q), SE(q))
}
out <- do.call(rbind, rows)
write.csv(out, "calibrate_reference.csv", row.names = FALSE)
write.csv(do.call(rbind, weights_out), "calibrate_weights.csv", row.names = FALSE)
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
cat(nrow(out), "estimates,", nrow(do.call(rbind, weights_out)), "weights\n")

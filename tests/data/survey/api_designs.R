# The API designs of the reference scripts beside this file (sourced by them):
# strat: svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat);
# clus:  svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1);
# cal:   calibrate(clus, ~stype + api99) to the totals of ../calibrate_totals.csv (R's apipop);
# rk:    rake(strat, list(~sch.wide, ~meals_hi)) to the same totals, to epsilon 1e-13.
# prep() adds meals_hi = meals > 50 ("yes"/"no"); ell_cat = ell in [0, 10] "low", (10, 30]
# "mid", above "high"; k3_big = acs.k3 > 20 ("yes"/"no", NA where acs.k3 is NA).
suppressPackageStartupMessages(library(survey))
prep <- function(d) {
  d$meals_hi <- ifelse(d$meals > 50, "yes", "no")
  d$ell_cat <- ifelse(d$ell <= 10, "low", ifelse(d$ell <= 30, "mid", "high"))
  d$k3_big <- ifelse(d$acs.k3 > 20, "yes", "no")
  d
}
st <- prep(read.csv("../apistrat.csv"))
cl <- prep(read.csv("../apiclus1.csv"))
tot <- read.csv("../calibrate_totals.csv", stringsAsFactors = FALSE)
tt <- function(m, c) tot$total[tot$margin == m & tot$category == c]
N <- sum(tot$total[tot$margin == "stype"])
strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = st)
clus <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = cl)
cal <- calibrate(clus, ~stype + api99,
                 c(`(Intercept)` = N, stypeH = tt("stype", "H"), stypeM = tt("stype", "M"),
                   api99 = tt("api99", "")))
margin <- function(m) {
  out <- data.frame(tot$category[tot$margin == m], tot$total[tot$margin == m])
  names(out) <- c(m, "Freq")
  out
}
rk <- rake(strat, list(~sch.wide, ~meals_hi), list(margin("sch.wide"), margin("meals_hi")),
           control = list(maxit = 200, epsilon = 1e-13))
# keep(case, m, terms): the coefficients `terms` of the svyglm `m` as rows of `rows`
rows <- list()
keep <- function(case, m, terms) {
  s <- summary(m)$coefficients
  for (t in terms) {
    rows[[length(rows) + 1]] <<- data.frame(
      case = case, term = t, estimate = s[t, 1], se = s[t, 2],
      df_residual = m$df.residual, p_value = s[t, 4])
  }
}

# Reference values for tests/test_survey.py: lonely_psu = "adjust" as R survey 4.4 and later
# (and Stata's singleunit(centered)) define it: the single PSU's total is centred at the mean
# of all PSU totals of the design, not at zero as survey up to 4.3.
#
# The installed survey (4.1-1, Debian bookworm, R 4.2.2) still centres at zero, so the new
# rule is computed here from R's own pieces: the variance with the lonely stratum removed
# (options(survey.lonely.psu = "remove")) plus the lonely PSU's term (t_A - tbar)^2, where
# t_A is the sum of the estimate's influence values in that PSU and tbar the sum of all of
# them divided by the number of PSUs (svytotal/svymean(..., influence = TRUE)). The rows of
# "old_adjust" are survey 4.1-1's own "adjust" (centred at zero), for comparison.
#
# Design: ../survey_make_reference.R section 10 (apiclus1; stratum A = district 135 only,
# a single PSU; B = dnum < 500; C = the rest); domain totals of enroll by stype are totals of
# enroll * 1[stype = s] on the whole design (svyby's domain estimates).
# Run:  Rscript lonely_adjust_reference.R
# Output: lonely_adjust_reference.csv (statistic, rule, estimate, se).
suppressPackageStartupMessages(library(survey))
d <- read.csv("../apiclus1.csv")
d$lone <- ifelse(d$dnum == 135, "A", ifelse(d$dnum < 500, "B", "C"))
for (s in c("E", "H", "M")) d[[paste0("enroll_", s)]] <- d$enroll * (d$stype == s)
new_rule <- function(formula, fun) {
  options(survey.lonely.psu = "remove")
  dl <- svydesign(id = ~dnum, strata = ~lone, weights = ~pw, data = d)
  est <- fun(formula, dl, influence = TRUE)
  inf <- attr(est, "influence")
  psu_tot <- rowsum(as.numeric(inf), d$dnum)
  tbar <- sum(psu_tot) / nrow(psu_tot)
  t_a <- unname(psu_tot[as.character(135), 1])
  c(estimate = as.numeric(coef(est)), se = sqrt(as.numeric(vcov(est)[1, 1]) + (t_a - tbar)^2))
}
old_rule <- function(formula, fun) {
  options(survey.lonely.psu = "adjust")
  dl <- svydesign(id = ~dnum, strata = ~lone, weights = ~pw, data = d)
  est <- fun(formula, dl)
  c(estimate = as.numeric(coef(est)), se = as.numeric(SE(est)))
}
rows <- list()
stats <- list(
  list("mean api00", ~api00, svymean), list("total enroll", ~enroll, svytotal),
  list("total enroll stype=E", ~enroll_E, svytotal),
  list("total enroll stype=H", ~enroll_H, svytotal),
  list("total enroll stype=M", ~enroll_M, svytotal))
for (st in stats) {
  for (rule in c("adjust", "old_adjust")) {
    v <- if (rule == "adjust") new_rule(st[[2]], st[[3]]) else old_rule(st[[2]], st[[3]])
    rows[[length(rows) + 1]] <- data.frame(statistic = st[[1]], rule = rule,
                                           estimate = v[["estimate"]], se = v[["se"]])
  }
}
out <- do.call(rbind, rows)
write.csv(out, "lonely_adjust_reference.csv", row.names = FALSE)
print(out, digits = 12)

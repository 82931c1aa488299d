# Reference outputs for tests/test_ordinal.py, test_scales.py, test_heterogeneity.py and
# test_power.py. Run from this folder:  Rscript stats_make_reference.R > stats_r_reference_output.txt
#
# Writes the input data sets that ship with R (MASS::housing, psych::bfi A1-A5) as CSV and the R
# results the tests compare against as CSV (term, value). Inputs that do not ship with R
# (ologit.csv, the UCLA ordered-logit example) are read from this folder.
# Versions used: see the sessionInfo() at the end of stats_r_reference_output.txt.

suppressPackageStartupMessages({
  library(MASS)      # polr, housing
  library(ordinal)   # clm: converged ML fit with analytic Hessian
  library(psych)     # alpha, alpha.ci, omega, fa, bfi
  library(pwr)       # pwr.t.test
})
options(digits = 10)
out <- list()
put <- function(section, term, value) {
  out[[length(out) + 1L]] <<- data.frame(section = section, term = term, value = unname(value))
}

## 1 UCLA ordered logit: apply ~ pared + public + gpa -----------------------------------------
ologit <- read.csv("ologit.csv")
ologit$apply <- factor(ologit$apply, levels = c("unlikely", "somewhat likely", "very likely"),
                       ordered = TRUE)
cat("## 1 UCLA ologit\n")
m_polr <- polr(apply ~ pared + public + gpa, data = ologit, Hess = TRUE)
print(summary(m_polr))
m_clm <- clm(apply ~ pared + public + gpa, data = ologit)
print(summary(m_clm))
cf <- coef(m_clm); se <- sqrt(diag(vcov(m_clm)))
put("ologit_clm", names(cf), cf)
put("ologit_clm_se", names(se), se)
put("ologit_clm", "loglik", as.numeric(logLik(m_clm)))
put("ologit_polr", c(names(m_polr$coefficients), names(m_polr$zeta)),
    c(m_polr$coefficients, m_polr$zeta))
# predicted probabilities, as on the UCLA page: pared 0/1, public 0, gpa at 3.0
newdat <- data.frame(pared = c(0, 1), public = c(0, 0), gpa = c(3, 3))
pp <- predict(m_clm, newdata = newdat, type = "prob")$fit
print(pp)
put("ologit_predict_pared0", colnames(pp), pp[1, ])
put("ologit_predict_pared1", colnames(pp), pp[2, ])

# sampling weights and clusters built from the row number i = 1..400 (the tests rebuild them):
#   weight = 1 + (i %% 3) / 2, cluster = (i - 1) %/% 10 (40 clusters of 10 rows)
i <- seq_len(nrow(ologit))
ologit$w <- 1 + (i %% 3) / 2
ologit$cl <- (i - 1) %/% 10
m_w <- clm(apply ~ pared + public + gpa, data = ologit, weights = w)
print(summary(m_w))
V <- vcov(m_w)                        # inverse of the weighted observed information
S <- sandwich::estfun(m_w)            # weighted scores, same parameter order as vcov
S <- S[, colnames(V)]
n <- nrow(S)
v_robust <- V %*% crossprod(S) %*% V * n / (n - 1)          # Stata vce(robust): n/(n-1)
G <- length(unique(ologit$cl))
Sc <- rowsum(S, ologit$cl)
v_cluster <- V %*% crossprod(Sc) %*% V * G / (G - 1)        # Stata vce(cluster): G/(G-1)
put("ologit_weighted", names(coef(m_w)), coef(m_w))
put("ologit_weighted_robust_se", colnames(V), sqrt(diag(v_robust)))
put("ologit_weighted_cluster_se", colnames(V), sqrt(diag(v_cluster)))
m_u <- clm(apply ~ pared + public + gpa, data = ologit)
V <- vcov(m_u); S <- sandwich::estfun(m_u)[, colnames(V)]
Sc <- rowsum(S, ologit$cl)
put("ologit_unweighted_cluster_se", colnames(V), sqrt(diag(V %*% crossprod(Sc) %*% V * G / (G - 1))))

## 2 MASS::housing (frequency weights) --------------------------------------------------------
cat("\n## 2 MASS housing\n")
write.csv(housing, "housing.csv", row.names = FALSE)
house.plr <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)
print(summary(house.plr, digits = 6))
house.clm <- clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)
print(summary(house.clm))
put("housing_clm", names(coef(house.clm)), coef(house.clm))
put("housing_clm_se", names(coef(house.clm)), sqrt(diag(vcov(house.clm))))

## 3 psych::alpha on bfi agreeableness, A1 reversed, listwise --------------------------------
cat("\n## 3 psych alpha, bfi A1-A5\n")
bfi_a <- psych::bfi[, c("A1", "A2", "A3", "A4", "A5")]
write.csv(bfi_a, "bfi_agreeableness.csv", row.names = FALSE)
a_items <- na.omit(bfi_a)
a_items$A1 <- 7 - a_items$A1          # reverse-keyed item on the 1-6 scale
cat("complete cases:", nrow(a_items), "\n")
a <- psych::alpha(a_items, check.keys = FALSE)
print(a)
put("alpha", "raw_alpha", a$total$raw_alpha)
put("alpha", "std_alpha", a$total$std.alpha)
put("alpha", "average_r", a$total$average_r)
put("alpha", "ase", a$total$ase)
put("alpha", "n_obs", nrow(a_items))
fe <- psych::alpha.ci(a$total$raw_alpha, n.obs = nrow(a_items), n.var = 5, p.val = 0.05)
print(fe)
put("alpha", "feldt_lower", fe$lower.ci)
put("alpha", "feldt_upper", fe$upper.ci)
put("alpha_drop", rownames(a$alpha.drop), a$alpha.drop$raw_alpha)
put("alpha_drop_std", rownames(a$alpha.drop), a$alpha.drop$std.alpha)
put("r_drop", rownames(a$item.stats), a$item.stats$r.drop)

## 4 omega total from a one-factor ML model ------------------------------------------------
cat("\n## 4 one-factor ML (factanal) and psych::omega\n")
fa1 <- factanal(a_items, factors = 1)
print(fa1, digits = 6)
lam <- as.vector(fa1$loadings); lam <- lam * sign(sum(lam))
R <- cor(a_items)
put("factanal_loading", colnames(a_items), lam)
put("factanal_uniqueness", colnames(a_items), fa1$uniquenesses)
put("omega", "omega_total_factanal", sum(lam)^2 / sum(R))
om <- psych::omega(a_items, nfactors = 1, fm = "ml", plot = FALSE)
print(om)
put("omega", "omega_total_psych", om$omega.tot)

## 5 p.adjust on a fixed vector -------------------------------------------------------------
cat("\n## 5 p.adjust\n")
p <- c(0.010, 0.001, 0.040, 0.300, 0.020, 0.049, 0.800, 0.0001)
print(rbind(p = p, holm = p.adjust(p, "holm"), BH = p.adjust(p, "BH")))
put("p_raw", paste0("p", seq_along(p)), p)
put("p_holm", paste0("p", seq_along(p)), p.adjust(p, "holm"))
put("p_bh", paste0("p", seq_along(p)), p.adjust(p, "BH"))

## 6 power: multipliers and pwr.t.test --------------------------------------------------------
cat("\n## 6 power\n")
for (df in c(10, 20, 30, 40, 60, 120, Inf)) {
  m <- if (is.finite(df)) qt(0.975, df) + qt(0.8, df) else qnorm(0.975) + qnorm(0.8)
  put("bloom_multiplier", paste0("df", df), m)
}
pw <- pwr.t.test(n = 50, sig.level = 0.05, power = 0.8, type = "two.sample")
print(pw)
put("pwr_t_test", "d_n50_per_group", pw$d)
pw2 <- pwr.t.test(n = 12, sig.level = 0.05, power = 0.8, type = "two.sample")
put("pwr_t_test", "d_n12_per_group", pw2$d)
# pwr.t.test counts only the upper rejection region of a two-sided test; base R's
# power.t.test(strict = TRUE) counts both
put("power_t_test_strict", "d_n50_per_group",
    power.t.test(n = 50, sig.level = 0.05, power = 0.8, sd = 1, strict = TRUE, tol = 1e-12)$delta)
put("power_t_test_strict", "d_n12_per_group",
    power.t.test(n = 12, sig.level = 0.05, power = 0.8, sd = 1, strict = TRUE, tol = 1e-12)$delta)
put("pwr_t_test_one_sided", "d_n12_per_group",
    pwr.t.test(n = 12, sig.level = 0.05, power = 0.8, alternative = "greater")$d)
put("power_t_test_one_sided", "d_n12_per_group",
    power.t.test(n = 12, sig.level = 0.05, power = 0.8, sd = 1, alternative = "one.sided",
                 tol = 1e-12)$delta)

## write ------------------------------------------------------------------------------------
res <- do.call(rbind, out)
write.csv(res, "stats_r_reference.csv", row.names = FALSE)
cat("\n")
print(sessionInfo())

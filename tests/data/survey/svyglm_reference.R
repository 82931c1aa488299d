# Reference values for tests/test_design_based.py: design-based regression, R survey::svyglm
# (gaussian) of a DID-shaped model.
#
# Cases:
# - apistrat: svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc);
#   api00 ~ treated * post + ell with treated = api99 > 650, post = meals > 40;
# - apiclus1: svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc); the same model with the
#   covariate acs.k3 (missing for some schools: svyglm fits the complete cases on the design);
# - synthetic: ../effects/fe_cluster_data.csv, svydesign(id = ~school_id, weights = ~weight);
#   homework_min_weekday ~ treated_post + factor(school_id) + factor(wave) (a two-way fixed
#   effects DID; its residual df is not positive, so only estimate and se are used);
# - event_study: the same data and design, homework_min_weekday ~ pilot + factor(wave) +
#   pilot x 1[wave = w] for w = 2019, 2021, 2022 (reference 2020).
# Run:  Rscript svyglm_reference.R   (R 4.2.2, survey 4.1-1 from Debian bookworm)
# Output: svyglm_reference.csv: case, term, estimate, se, df_residual, p_value.
source("api_designs.R")  # keep()
prep <- function(d) {
  d$treated <- as.integer(d$api99 > 650)
  d$post <- as.integer(d$meals > 40)
  d
}
st <- prep(read.csv("../apistrat.csv"))
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = st)
keep("apistrat", svyglm(api00 ~ treated * post + ell, design = dstrat),
     c("(Intercept)", "treated", "post", "treated:post", "ell"))
cl <- prep(read.csv("../apiclus1.csv"))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = cl)
keep("apiclus1", svyglm(api00 ~ treated * post + acs.k3, design = dclus1),
     c("(Intercept)", "treated", "post", "treated:post", "acs.k3"))
fe <- read.csv("../effects/fe_cluster_data.csv")
dfe <- svydesign(id = ~school_id, weights = ~weight, data = fe)
keep("synthetic", svyglm(homework_min_weekday ~ treated_post + factor(school_id) + factor(wave),
                         design = dfe), "treated_post")
fe$es2019 <- fe$pilot * (fe$wave == 2019)
fe$es2021 <- fe$pilot * (fe$wave == 2021)
fe$es2022 <- fe$pilot * (fe$wave == 2022)
dfe <- svydesign(id = ~school_id, weights = ~weight, data = fe)
keep("event_study", svyglm(homework_min_weekday ~ pilot + factor(wave) + es2019 + es2021 + es2022,
                           design = dfe), c("es2019", "es2021", "es2022"))
out <- do.call(rbind, rows)
write.csv(out, "svyglm_reference.csv", row.names = FALSE)
print(out, digits = 12)

"""torch.distributions: parameterized probability distributions, their constraints and
transforms, and KL divergences. Names torch has and torchlike lacks are placeholders that raise
NotImplementedError when used (see _errors)."""
from __future__ import annotations

from torchlike._errors import missing

from . import constraint_registry as constraint_registry
from . import constraints as constraints
from . import kl as kl
from . import transforms as transforms
from . import utils as utils
from ._categorical import Categorical as Categorical
from ._categorical import Multinomial as Multinomial
from ._categorical import OneHotCategorical as OneHotCategorical
from ._categorical import OneHotCategoricalStraightThrough as OneHotCategoricalStraightThrough
from ._continuous import Cauchy as Cauchy
from ._continuous import Exponential as Exponential
from ._continuous import Laplace as Laplace
from ._continuous import Normal as Normal
from ._continuous import Uniform as Uniform
from ._derived import HalfCauchy as HalfCauchy
from ._derived import HalfNormal as HalfNormal
from ._derived import Independent as Independent
from ._derived import LogisticNormal as LogisticNormal
from ._derived import LogNormal as LogNormal
from ._derived import TransformedDistribution as TransformedDistribution
from ._discrete import Bernoulli as Bernoulli
from ._discrete import Binomial as Binomial
from ._discrete import Geometric as Geometric
from ._discrete import NegativeBinomial as NegativeBinomial
from ._discrete import Poisson as Poisson
from ._extreme import Gumbel as Gumbel
from ._extreme import Pareto as Pareto
from ._extreme import Weibull as Weibull
from ._gamma import Beta as Beta
from ._gamma import Chi2 as Chi2
from ._gamma import Dirichlet as Dirichlet
from ._gamma import Gamma as Gamma
from ._gamma import InverseGamma as InverseGamma
from ._gamma import StudentT as StudentT
from ._mixture import MixtureSameFamily as MixtureSameFamily
from .relaxed_bernoulli import RelaxedBernoulli as RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical as RelaxedOneHotCategorical
from ._multivariate import MultivariateNormal as MultivariateNormal
from .continuous_bernoulli import ContinuousBernoulli as ContinuousBernoulli
from .fishersnedecor import FisherSnedecor as FisherSnedecor
from .generalized_pareto import GeneralizedPareto as GeneralizedPareto
from .kumaraswamy import Kumaraswamy as Kumaraswamy
from .lkj_cholesky import LKJCholesky as LKJCholesky
from .lowrank_multivariate_normal import LowRankMultivariateNormal as LowRankMultivariateNormal
from .von_mises import VonMises as VonMises
from .wishart import Wishart as Wishart
from .constraint_registry import biject_to as biject_to
from .constraint_registry import transform_to as transform_to
from .distribution import Distribution as Distribution
from .exp_family import ExponentialFamily as ExponentialFamily
from .kl import kl_divergence as kl_divergence
from .kl import register_kl as register_kl
from .transforms import AbsTransform as AbsTransform
from .transforms import AffineTransform as AffineTransform
from .transforms import CatTransform as CatTransform
from .transforms import ComposeTransform as ComposeTransform
from .transforms import CorrCholeskyTransform as CorrCholeskyTransform
from .transforms import CumulativeDistributionTransform as CumulativeDistributionTransform
from .transforms import ExpTransform as ExpTransform
from .transforms import IndependentTransform as IndependentTransform
from .transforms import LowerCholeskyTransform as LowerCholeskyTransform
from .transforms import PositiveDefiniteTransform as PositiveDefiniteTransform
from .transforms import PowerTransform as PowerTransform
from .transforms import ReshapeTransform as ReshapeTransform
from .transforms import SigmoidTransform as SigmoidTransform
from .transforms import SoftmaxTransform as SoftmaxTransform
from .transforms import SoftplusTransform as SoftplusTransform
from .transforms import StackTransform as StackTransform
from .transforms import StickBreakingTransform as StickBreakingTransform
from .transforms import TanhTransform as TanhTransform
from .transforms import Transform as Transform
from .transforms import identity_transform as identity_transform

__getattr__ = missing("torch.distributions")

# torch's list: `from torch.distributions import *` binds placeholders for the names torchlike
# lacks
__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
           "ContinuousBernoulli", "Dirichlet", "Distribution", "Exponential", "ExponentialFamily",
           "FisherSnedecor", "Gamma", "GeneralizedPareto", "Geometric", "Gumbel", "HalfCauchy",
           "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy", "LKJCholesky", "Laplace",
           "LogNormal", "LogisticNormal", "LowRankMultivariateNormal", "MixtureSameFamily",
           "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical",
           "OneHotCategoricalStraightThrough", "Pareto", "RelaxedBernoulli",
           "RelaxedOneHotCategorical", "StudentT", "Poisson", "Uniform", "VonMises", "Weibull",
           "Wishart", "TransformedDistribution", "biject_to", "kl_divergence", "register_kl",
           "transform_to", "AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform",
           "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftplusTransform",
           "TanhTransform", "SoftmaxTransform", "StackTransform", "StickBreakingTransform",
           "Transform", "identity_transform"]

# Each class under torch's module name for it (torch.distributions.<module>.<Class>), so reprs
# and messages name it as torch does and pickles name a module the alias can import.
for _module, _classes in {
        "bernoulli": [Bernoulli], "beta": [Beta], "binomial": [Binomial],
        "categorical": [Categorical], "cauchy": [Cauchy], "chi2": [Chi2],
        "dirichlet": [Dirichlet], "exponential": [Exponential], "gamma": [Gamma],
        "geometric": [Geometric], "gumbel": [Gumbel], "half_cauchy": [HalfCauchy],
        "half_normal": [HalfNormal], "independent": [Independent],
        "inverse_gamma": [InverseGamma], "laplace": [Laplace], "log_normal": [LogNormal],
        "logistic_normal": [LogisticNormal], "mixture_same_family": [MixtureSameFamily],
        "multinomial": [Multinomial], "multivariate_normal": [MultivariateNormal],
        "negative_binomial": [NegativeBinomial], "normal": [Normal],
        "one_hot_categorical": [OneHotCategorical, OneHotCategoricalStraightThrough],
        "pareto": [Pareto], "poisson": [Poisson], "studentT": [StudentT],
        "transformed_distribution": [TransformedDistribution], "uniform": [Uniform],
        "weibull": [Weibull],
        "transforms": [AbsTransform, AffineTransform, CatTransform, CorrCholeskyTransform,
                       CumulativeDistributionTransform, ExpTransform, LowerCholeskyTransform,
                       PositiveDefiniteTransform, PowerTransform, ReshapeTransform,
                       SigmoidTransform, SoftmaxTransform, SoftplusTransform, StackTransform,
                       StickBreakingTransform, TanhTransform]}.items():
    for _cls in _classes:
        _cls.__module__ = f"{__name__}.{_module}"
del _module, _classes, _cls

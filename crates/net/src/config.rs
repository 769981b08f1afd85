//! Serialisable network configurations and a network of either kind.
//!
//! Three levels, one type each: [`NetKind`] names a kind (`mlp`, `two-layer`; the command
//! line's `--net`), [`NetSpec`] is a recipe's choice of network and its sizes, independent
//! of the table (what a fit configuration stores), and [`NetConfig`] the complete
//! architecture for one encoded table (its width, one-hot blocks and seed; what rebuilds a
//! saved network). [`AnyNet`] is a built network of either kind.

use scorediff_backend::{Backend, Layout};
use serde::{Deserialize, Serialize};

use crate::{Forward, Mlp, MlpConfig, NetError, Param, ScoreNet, TwoLayerConfig, TwoLayerNet};

/// Which score network: one spelling everywhere, `mlp` and `two-layer` (on the command
/// line, in configuration files, in results; `two_layer` is still read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetKind {
    /// The practical MLP denoiser (time embedding, SiLU, softmax heads on one-hot blocks).
    #[serde(rename = "mlp")]
    Mlp,
    /// The paper's two-layer ReLU network (frozen output signs).
    #[serde(rename = "two-layer", alias = "two_layer")]
    TwoLayer,
}

impl NetKind {
    /// Every kind, in the order shown to users.
    pub const ALL: [NetKind; 2] = [NetKind::Mlp, NetKind::TwoLayer];

    /// The kind's name: `mlp` or `two-layer`.
    pub fn name(self) -> &'static str {
        match self {
            NetKind::Mlp => "mlp",
            NetKind::TwoLayer => "two-layer",
        }
    }
}

impl std::str::FromStr for NetKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mlp" => Ok(NetKind::Mlp),
            "two-layer" | "two_layer" => Ok(NetKind::TwoLayer),
            other => Err(format!("unknown network `{other}` (known: mlp, two-layer)")),
        }
    }
}

impl std::fmt::Display for NetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A recipe's network: the kind and its sizes, independent of the table. Serialised with
/// the kind as its tag: `{"kind": "mlp", "width": 384, "depth": 3, "residual": true}`,
/// `{"kind": "two-layer", "width": 1024}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum NetSpec {
    /// The MLP denoiser ([`MlpConfig`]).
    #[serde(rename = "mlp")]
    Mlp {
        /// Hidden width.
        width: usize,
        /// Hidden layers (plain) or residual blocks (residual).
        depth: usize,
        /// Residual blocks instead of plain layers.
        residual: bool,
    },
    /// The two-layer ReLU network ([`TwoLayerConfig`]).
    #[serde(rename = "two-layer", alias = "two_layer")]
    TwoLayer {
        /// Width `m`.
        width: usize,
    },
}

impl NetSpec {
    /// The kind.
    pub fn kind(&self) -> NetKind {
        match self {
            NetSpec::Mlp { .. } => NetKind::Mlp,
            NetSpec::TwoLayer { .. } => NetKind::TwoLayer,
        }
    }

    /// Checks the sizes (every one at least 1).
    pub fn validate(&self) -> Result<(), NetError> {
        let ok = match *self {
            NetSpec::Mlp { width, depth, .. } => width > 0 && depth > 0,
            NetSpec::TwoLayer { width } => width > 0,
        };
        if ok {
            Ok(())
        } else {
            Err(NetError::InvalidConfig(format!(
                "network sizes must be at least 1, got {self:?}"
            )))
        }
    }

    /// The architecture for an encoded table of `layout` (softmax heads on its one-hot
    /// blocks), initialised from `seed`.
    pub fn config(&self, layout: &Layout, seed: u64) -> NetConfig {
        let d = layout.width;
        match *self {
            NetSpec::Mlp {
                width,
                depth,
                residual,
            } => {
                let mut c = MlpConfig::new(d, width, depth, seed);
                c.residual = residual;
                c.categorical_blocks = layout.one_hot.clone();
                NetConfig::Mlp(c)
            }
            NetSpec::TwoLayer { width } => NetConfig::TwoLayer(TwoLayerConfig {
                data_dim: d,
                width,
                seed,
            }),
        }
    }
}

/// The architecture of a score network: enough to rebuild it (with its initial weights;
/// trained weights come from a checkpoint's tensors, matched by parameter name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetConfig {
    /// The two-layer ReLU network of the theory (`"kind": "two-layer"`; `two_layer` is still
    /// read).
    #[serde(rename = "two-layer", alias = "two_layer")]
    TwoLayer(TwoLayerConfig),
    /// The MLP denoiser.
    Mlp(MlpConfig),
}

impl NetConfig {
    /// Builds a freshly initialised network of this architecture.
    pub fn build<B: Backend>(&self, be: &B) -> Result<AnyNet<B>, NetError> {
        Ok(match self {
            NetConfig::TwoLayer(c) => AnyNet::TwoLayer(TwoLayerNet::new(be, c.clone())?),
            NetConfig::Mlp(c) => AnyNet::Mlp(Mlp::new(be, c.clone())?),
        })
    }

    /// The number of parameters (trainable and frozen) a network of this architecture has,
    /// computed without building it; `None` when it overflows. Lets a loader check a
    /// configuration against stored weights before allocating anything.
    pub fn n_params(&self) -> Option<u128> {
        match self {
            NetConfig::TwoLayer(c) => {
                let (m, d) = (c.width as u128, c.data_dim as u128);
                m.checked_mul(d + 2)?.checked_add(m.checked_mul(d)?)
            }
            NetConfig::Mlp(c) => {
                let (d, w) = (c.data_dim as u128, c.width as u128);
                let e = c.time_embedding.dim() as u128;
                let dense =
                    |fan_in: u128, fan_out: u128| fan_in.checked_mul(fan_out)?.checked_add(fan_out);
                let square = dense(w, w)?;
                let body = if c.residual {
                    (c.depth as u128).checked_mul(square.checked_mul(2)?)?
                } else {
                    (c.depth as u128).saturating_sub(1).checked_mul(square)?
                };
                (e / 2)
                    .checked_add(dense(d.checked_add(e)?, w)?)?
                    .checked_add(body)?
                    .checked_add(dense(w, d)?)
            }
        }
    }

    /// The data dimension `d`.
    pub fn data_dim(&self) -> usize {
        match self {
            NetConfig::TwoLayer(c) => c.data_dim,
            NetConfig::Mlp(c) => c.data_dim,
        }
    }
}

/// A network of any kind this crate defines, for code that picks the kind at run time
/// (the command line, checkpoint loading).
#[derive(Debug)]
pub enum AnyNet<B: Backend> {
    /// A [`TwoLayerNet`].
    TwoLayer(TwoLayerNet<B>),
    /// An [`Mlp`].
    Mlp(Mlp<B>),
}

impl<B: Backend> AnyNet<B> {
    fn inner(&self) -> &dyn ScoreNet<B> {
        match self {
            AnyNet::TwoLayer(n) => n,
            AnyNet::Mlp(n) => n,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn ScoreNet<B> {
        match self {
            AnyNet::TwoLayer(n) => n,
            AnyNet::Mlp(n) => n,
        }
    }
}

impl<B: Backend> ScoreNet<B> for AnyNet<B> {
    fn data_dim(&self) -> usize {
        self.inner().data_dim()
    }
    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError> {
        self.inner().forward(be, x, t)
    }
    fn forward_at(
        &self,
        be: &B,
        x: &B::Matrix,
        t: &B::Matrix,
        t_host: &[f32],
    ) -> Result<Forward<B>, NetError> {
        self.inner().forward_at(be, x, t, t_host)
    }
    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError> {
        self.inner().backward(be, fwd, grad_out)
    }
    fn params(&self) -> &[Param<B>] {
        self.inner().params()
    }
    fn params_mut(&mut self) -> &mut [Param<B>] {
        self.inner_mut().params_mut()
    }
    fn config(&self) -> NetConfig {
        self.inner().config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorediff_backend::DeviceMatrix as _;
    use scorediff_faer::FaerBackend;

    /// The count computed from the configuration is the count of the built network.
    #[test]
    fn the_spec_is_tagged_by_the_kind_and_builds_for_a_layout() {
        let mlp = NetSpec::Mlp {
            width: 8,
            depth: 2,
            residual: true,
        };
        let json = serde_json::to_value(mlp).unwrap();
        assert_eq!(json["kind"], "mlp");
        assert_eq!(json["width"], 8);
        let two: NetSpec = serde_json::from_str(r#"{"kind": "two_layer", "width": 5}"#).unwrap();
        assert_eq!(two, NetSpec::TwoLayer { width: 5 });
        assert_eq!(two.kind().name(), "two-layer");
        assert!(serde_json::from_str::<NetSpec>(r#"{"kind": "mlp", "width": 5}"#).is_err());
        assert!(NetSpec::TwoLayer { width: 0 }.validate().is_err());
        let layout = Layout::new(6, vec![scorediff_backend::ColumnBlock::new(2, 3)]).unwrap();
        match mlp.config(&layout, 9) {
            NetConfig::Mlp(c) => {
                assert_eq!((c.data_dim, c.width, c.depth, c.seed), (6, 8, 2, 9));
                assert!(c.residual);
                assert_eq!(c.categorical_blocks, layout.one_hot);
            }
            other => panic!("{other:?}"),
        }
        for k in NetKind::ALL {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
            assert_eq!(k.name().parse::<NetKind>().unwrap(), k);
        }
        assert!("twolayer".parse::<NetKind>().is_err());
    }

    #[test]
    fn parameter_count_matches_the_built_network() {
        let be = FaerBackend::default();
        let mut configs = vec![NetConfig::TwoLayer(TwoLayerConfig {
            data_dim: 5,
            width: 17,
            seed: 0,
        })];
        for (residual, depth) in [(false, 1), (false, 3), (true, 1), (true, 2)] {
            let mut c = MlpConfig::new(7, 12, depth, 0);
            c.residual = residual;
            configs.push(NetConfig::Mlp(c));
        }
        for c in configs {
            let net = c.build(&be).unwrap();
            let built: usize = net
                .params()
                .iter()
                .map(|p| {
                    let (r, k) = p.value.shape();
                    r * k
                })
                .sum();
            assert_eq!(c.n_params(), Some(built as u128), "{c:?}");
        }
        let mut huge = MlpConfig::new(7, usize::MAX, 3, 0);
        huge.residual = true;
        assert_eq!(NetConfig::Mlp(huge).n_params(), None);
    }
}

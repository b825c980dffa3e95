"""Write the tutorial notebooks from the cells below, without outputs.

The notebooks are kept here as Python so that an edit reads as a reviewable diff.
After changing a cell, rebuild and re-execute both notebooks (from the repository root)::

    .venv/bin/python notebooks/build_notebooks.py
    .venv/bin/python notebooks/execute.py notebooks/*.ipynb

Cells are given stable ids (``<notebook>-<number>``), so rebuilding unchanged cells
gives the same file, with no outputs; execute.py puts them back.
"""

# Cell sources sit here indented by 8 spaces but are formatted for the notebook's own
# 100-column lines, and Markdown table rows cannot wrap: line length is not checked here.
# ruff: noqa: E501

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from textwrap import dedent
from types import ModuleType

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK_DIR = Path(__file__).resolve().parent

Cell = tuple[str, str]  # ("md" or "code", source)


def md(source: str) -> Cell:
    return ("md", dedent(source).strip("\n"))


def code(source: str) -> Cell:
    return ("code", dedent(source).strip("\n"))


# ---------------------------------------------------------------------------------------------
# Notebook 1: linear regression from scratch
# ---------------------------------------------------------------------------------------------
FROM_SCRATCH: list[Cell] = [
    md(
        r"""
        # Linear regression from scratch

        This notebook builds linear regression one idea at a time, the way it is taught in
        *Dive into Deep Learning*: **data → model → loss → gradient → update → training
        loop → check against the truth**. Every step is first stated in words and in
        mathematics, and only then written as code. The code is short because each step
        is one method of `linreg.LinearModel`, the package's teaching model:

        | step | equation | code |
        |---|---|---|
        | forward pass | $\hat y = XW + b$ | `model.forward(X)` |
        | loss | $L = \frac1N \sum_i (\hat y_i - y_i)^2$ | `model.loss(y_pred, y)` |
        | backward pass | $\frac{\partial L}{\partial W} = \frac2N X^\top r,\ \frac{\partial L}{\partial b} = \frac2N \sum_i r_i$ | `model.backward(X, y, y_pred)` |
        | update | $W \leftarrow W - \eta \frac{\partial L}{\partial W},\ b \leftarrow b - \eta \frac{\partial L}{\partial b}$ | `model.step(grads, learning_rate)` |

        Because the notebook calls the package rather than copying it, what you read here
        is what `linreg` runs.

        **Tasks 1–9** build and train the model. **Sections 10–12** then ask the questions a
        learner asks next: are the gradients right? Why does one learning rate work and
        another blow up? Why does scaling the features help? The summary table closes the
        course; two **appendices** (sections 13–14) go into the package's internals: what
        changes with mini-batches, and how close we got to the exact answer.
        """
    ),
    code(
        """
        %matplotlib inline
        import time
        import warnings

        import numpy as np
        from matplotlib.figure import Figure

        import linreg
        from linreg.viz import plots
        from linreg.stability import hessian
        from linreg.stats.sweep import learning_rate_sweep

        np.set_printoptions(precision=4, suppress=True)
        notebook_start = time.perf_counter()
        """
    ),
    # -- Task 1 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 1 — The regression problem

        We are given $N$ examples $(x_i, y_i)$: an input $x_i$ (here one number; in general a
        row of $d$ features) and a numeric target $y_i$. We want a function that predicts
        $y$ from $x$, also for inputs we have not seen.

        **Linear regression** assumes the simplest useful shape for that function, a
        straight line (a hyperplane when $d > 1$):

        $$\hat y = x\,W + b,$$

        with a **weight** $W$ (the slope) and a **bias** $b$ (the intercept). *Learning* means
        choosing $W$ and $b$ so that the predictions $\hat y_i$ are, on average, as close as
        possible to the targets $y_i$. We will measure "close" with the squared error and
        improve the parameters by **gradient descent**: repeatedly nudge them in the direction
        that lowers the error fastest.

        To be able to check the result, we make the data ourselves from a line we choose,
        so the right answer is known in advance.
        """
    ),
    # -- Task 2 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 2 — The dataset

        The data come from the line $y = 3x + 2$ plus Gaussian noise:

        $$y_i = W_{\text{true}}\, x_i + b_{\text{true}} + \varepsilon_i, \qquad
        W_{\text{true}} = 3,\quad b_{\text{true}} = 2,\quad
        \varepsilon_i \sim \mathcal N(0, \sigma^2),\quad x_i \sim \mathcal U[0, 10).$$

        - $x_i$ is the **feature**, $y_i$ the **target**;
        - $W_{\text{true}}$ and $b_{\text{true}}$ are the parameters we hope to recover;
        - the noise $\varepsilon_i$ stands for everything a real measurement adds that the
          line does not explain. Its size $\sigma$ is under our control, and it sets a floor:
          no line can predict the noise, so even the true line has a mean squared error of
          about $\sigma^2$.

        `linreg.make_regression` draws such data from a seeded random generator (same seed,
        same data). It keeps the noise-free targets `y_true` too, the ground truth of Task 9.
        """
    ),
    code(
        """
        data = linreg.make_regression(n_samples=500, n_features=1, weights=3.0, bias=2.0, noise=1.0, seed=0)
        X, y = data.X, data.y
        print("X has shape", X.shape, "(N samples, d features); y has shape", y.shape)
        print("true W =", data.weights, " true b =", data.bias)
        print("first three rows (x, y):", np.column_stack([X[:3, 0], y[:3]]).tolist())
        """
    ),
    md("The noise we added is the difference between the observed and the noise-free targets:"),
    code(
        """
        noise = y - data.y_true
        print(
            f"noise: mean {noise.mean():+.3f}, standard deviation {noise.std():.3f}"
            f" (we asked for sigma = {data.noise})"
        )
        """
    ),
    md(
        "Plotting the raw data before modelling it is always the first step: the points "
        "should lie around a line, with a spread of about $\\sigma = 1$."
    ),
    code("plots.raw_data(X, y)"),
    # -- Task 3 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 3 — Initialize the parameters

        The model has two kinds of parameters:

        - the **weights** $W$, one per feature: a NumPy array of shape $(d,)$;
        - the **bias** $b$, a single number shared by all samples.

        Gradient descent needs a starting point. For linear regression any start works,
        because the loss has a single minimum (we will see why in section 11). The textbook
        start is $W = 0,\ b = 0$; here we start from small random numbers drawn from a
        standard normal, so that the untrained model makes visibly wrong predictions that we
        can compare with the trained ones later.
        """
    ),
    code(
        """
        model = linreg.LinearModel(n_features=1, init="random", seed=8)
        print("W =", model.W, "with shape", model.W.shape)
        print("b =", model.b)
        """
    ),
    md("The textbook start, for comparison:"),
    code("linreg.LinearModel(n_features=1)"),
    # -- Task 4 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 4 — The forward pass

        The forward pass turns inputs into predictions. For one sample with features
        $x_i = (x_{i1}, \dots, x_{id})$:

        $$\hat y_i = \sum_{j=1}^{d} x_{ij} W_j + b .$$

        For all $N$ samples at once this is a matrix–vector product plus a scalar that NumPy
        adds to every entry (broadcasting):

        $$\hat y = X W + b, \qquad X \in \mathbb R^{N \times d},\ W \in \mathbb R^{d},\
        \hat y \in \mathbb R^{N}.$$

        `model.forward(X)` computes exactly this. We check it against the equation written
        out for our single feature.
        """
    ),
    code(
        """
        y_pred = model.forward(X)
        by_hand = X[:, 0] * model.W[0] + model.b
        print(
            "y_pred has shape",
            y_pred.shape,
            "| equal to the hand computation:",
            np.allclose(y_pred, by_hand),
        )
        print("first five predictions:", y_pred[:5])
        print("first five targets:    ", y[:5])
        """
    ),
    md(
        "The untrained model predicts negative values where the targets are positive: "
        "its slope even has the wrong sign. Time to measure how wrong it is."
    ),
    # -- Task 5 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 5 — The loss

        The **mean squared error** (MSE) summarises all $N$ errors in one number:

        $$L(W, b) = \frac1N \sum_{i=1}^{N} \left(\hat y_i - y_i\right)^2
        = \frac1N \sum_{i=1}^{N} r_i^2, \qquad r_i = \hat y_i - y_i .$$

        - Squaring makes every error count positively and punishes large errors more than
          small ones.
        - It makes $L$ a smooth bowl-shaped (quadratic) function of $W$ and $b$, which is what
          gradient descent needs.
        - Minimising it is the classic *least-squares* fit; if the noise is Gaussian, it is
          also the maximum-likelihood fit.

        (Some texts put a factor $\frac12$ in front to tidy the derivative; `linreg` does not,
        so a 2 appears in the gradients below.)
        """
    ),
    code(
        """
        loss = model.loss(y_pred, y)
        by_hand = np.sum((y_pred - y) ** 2) / len(y)
        print(f"MSE of the untrained model: {loss:.4f}   (by hand: {by_hand:.4f})")
        """
    ),
    md(
        "For scale: the loss of the *true* line, which only misses by the noise, is about $\\sigma^2 = 1$."
    ),
    code(
        """
        floor = model.loss(data.y_true, y)
        print(f"MSE of the true line y = 3x + 2: {floor:.4f}")
        """
    ),
    # -- Task 6 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 6 — The backward pass

        To improve $W$ and $b$ we need to know how the loss changes when each of them moves:
        the partial derivatives $\partial L / \partial W_j$ and $\partial L / \partial b$.
        We get them with the **chain rule**, following the computation backwards from the
        loss to the parameters:

        $$W, b \;\longrightarrow\; \hat y_i = \textstyle\sum_j x_{ij}W_j + b
        \;\longrightarrow\; r_i = \hat y_i - y_i
        \;\longrightarrow\; L = \frac1N \textstyle\sum_i r_i^2 .$$

        **Step 1: loss with respect to each residual.** Only the term $r_i^2$ of the sum
        contains $r_i$:

        $$\frac{\partial L}{\partial r_i} = \frac1N \cdot 2 r_i = \frac2N r_i .$$

        **Step 2: residual with respect to the prediction.** $y_i$ is a constant:

        $$\frac{\partial r_i}{\partial \hat y_i} = 1 .$$

        **Step 3: prediction with respect to the parameters.** In
        $\hat y_i = x_{i1}W_1 + \dots + x_{id}W_d + b$ the weight $W_j$ is multiplied by
        $x_{ij}$ and $b$ stands alone:

        $$\frac{\partial \hat y_i}{\partial W_j} = x_{ij}, \qquad
        \frac{\partial \hat y_i}{\partial b} = 1 .$$

        **Step 4: chain them, and add up over the samples.** Every sample's prediction
        depends on $W_j$, so the contributions of all $N$ samples add:

        $$\frac{\partial L}{\partial W_j}
        = \sum_{i=1}^{N} \frac{\partial L}{\partial r_i}\,
          \frac{\partial r_i}{\partial \hat y_i}\,
          \frac{\partial \hat y_i}{\partial W_j}
        = \frac2N \sum_{i=1}^{N} r_i\, x_{ij},
        \qquad
        \frac{\partial L}{\partial b}
        = \sum_{i=1}^{N} \frac{\partial L}{\partial r_i}\,
          \frac{\partial r_i}{\partial \hat y_i}\,
          \frac{\partial \hat y_i}{\partial b}
        = \frac2N \sum_{i=1}^{N} r_i .$$

        **Step 5: as vectors.** The sums over $i$ of $r_i x_{ij}$ for all $j$ at once are the
        matrix product $X^\top r$:

        $$\nabla_W L = \frac2N X^\top r, \qquad \frac{\partial L}{\partial b} = \frac2N \sum_i r_i,
        \qquad r = \hat y - y .$$

        Reading the result: a gradient is an average of "error times input". If the model
        predicts too low ($r_i < 0$) where $x_i > 0$, the derivative is negative, so
        *increasing* the parameter lowers the loss.

        `model.backward(X, y, y_pred)` returns both derivatives:
        """
    ),
    code(
        """
        grads = model.backward(X, y, y_pred)
        print("dL/dW =", grads.dW, "   dL/db =", grads.db)
        """
    ),
    md("And the same numbers from the sums of Step 4, one sample at a time, exactly as derived:"),
    code(
        """
        N = len(y)
        dW_by_hand, db_by_hand = 0.0, 0.0
        for x_i, y_i, y_pred_i in zip(X[:, 0], y, y_pred, strict=True):
            r_i = y_pred_i - y_i
            dW_by_hand += (2 / N) * r_i * x_i  # dL/dr_i * dr_i/dy_pred_i * dy_pred_i/dW
            db_by_hand += (2 / N) * r_i  # dL/dr_i * dr_i/dy_pred_i * dy_pred_i/db
        print(f"by hand: dL/dW = {dW_by_hand:.6f}, dL/db = {db_by_hand:.6f}")
        print(
            "agree with model.backward to 1e-12:",
            np.isclose(grads.dW[0], dW_by_hand, rtol=1e-12),
            np.isclose(grads.db, db_by_hand, rtol=1e-12),
        )
        """
    ),
    md(
        "Both derivatives are negative: the model predicts too low everywhere, so the loss "
        "falls if $W$ and $b$ grow."
    ),
    # -- Task 7 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 7 — Update the parameters

        The gradient points in the direction in which the loss **rises** fastest, so we step
        the other way. With a step size $\eta > 0$, the **learning rate**:

        $$W \leftarrow W - \eta\, \frac{\partial L}{\partial W}, \qquad
        b \leftarrow b - \eta\, \frac{\partial L}{\partial b}.$$

        Why this lowers the loss: for a small step, a first-order Taylor expansion gives

        $$L(\theta - \eta g) \approx L(\theta) - \eta\, \lVert g \rVert^2 < L(\theta),
        \qquad \theta = (W, b),\ g = \nabla L(\theta).$$

        The word *small* matters. Too small an $\eta$ and learning crawls; too large and the
        step overshoots the bottom of the bowl and lands higher up the other side — section 11
        finds the exact limit. We take $\eta = 0.02$ and make one step with `model.step`:
        """
    ),
    code(
        """
        learning_rate = 0.02
        W_before, b_before = model.W.copy(), model.b
        model.step(grads, learning_rate)
        print(f"W: {W_before[0]:+.4f} -> {model.W[0]:+.4f}   b: {b_before:+.4f} -> {model.b:+.4f}")
        print(
            "same as W - lr dW, b - lr db:",
            np.allclose(model.W, W_before - learning_rate * grads.dW),
            np.isclose(model.b, b_before - learning_rate * grads.db),
        )
        print(f"loss: {loss:.3f} -> {model.loss(model.forward(X), y):.3f}")
        """
    ),
    md(
        r"""
        One step cut the loss by a large factor. Training is this step, repeated.

        Look at $W$, though: it did not just move towards 3, it jumped past it, from $-1.74$
        to about $+5.9$. Along the steepest direction of this loss, $\eta = 0.02$ is more
        than half of the largest stable rate $\eta_{\max} \approx 0.027$ (section 11), so
        each step overshoots the bottom of the valley and lands on the other side, lower
        than it started. Above $\eta_{\max}$ it would land higher every time, and training
        would diverge.
        """
    ),
    # -- Task 8 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 8 — The training loop

        **Algorithm** (full-batch gradient descent). Start from $W_0, b_0$; for each epoch
        $k = 0, 1, \dots, K-1$:

        1. forward pass: $\hat y = X W_k + b_k$;
        2. loss: $L_k = \frac1N \sum_i (\hat y_i - y_i)^2$, and record it;
        3. backward pass: $g_k = \left(\frac2N X^\top r,\ \frac2N \sum_i r_i\right)$;
        4. update: $(W_{k+1}, b_{k+1}) = (W_k, b_k) - \eta\, g_k$.

        Each epoch uses all $N$ samples for one update. We start again from the random
        start of Task 3 and record the loss and the parameters of every epoch.
        """
    ),
    code(
        """
        learning_rate, epochs = 0.02, 1000
        model = linreg.LinearModel(n_features=1, init="random", seed=8)  # the start of Task 3
        losses, path_W, path_b = [], [], []

        for epoch in range(epochs):
            y_pred = model.forward(X)  # 1. forward pass
            loss = model.loss(y_pred, y)  # 2. loss
            grads = model.backward(X, y, y_pred)  # 3. backward pass
            losses.append(loss)
            path_W.append(model.W.copy())
            path_b.append(model.b)
            if epoch % 200 == 0:
                print(f"epoch {epoch:4d}: loss {loss:9.4f}   W {model.W[0]:.4f}   b {model.b:+.4f}")
            model.step(grads, learning_rate)  # 4. update
        """
    ),
    md(
        "After the last update we evaluate the loss once more and keep everything in a "
        "`linreg.History` (entry $k$ is the model after $k$ updates), the record that the "
        "package's figures read:"
    ),
    code(
        """
        losses.append(model.loss(model.forward(X), y))
        path_W.append(model.W.copy())
        path_b.append(model.b)
        history = linreg.History(loss=np.array(losses), W=np.array(path_W), b=np.array(path_b))
        print(f"after {epochs} epochs: {model}, loss {history.final_loss:.4f}")
        """
    ),
    md(
        "The package's estimator runs the same loop. Started from the same point with the "
        "same settings, it records exactly the same losses, bit for bit:"
    ),
    code(
        """
        estimator = linreg.LinearRegression(
            solver="gd", learning_rate=learning_rate, epochs=epochs, init="random", seed=8
        ).fit(X, y)
        print("identical loss history:", np.array_equal(estimator.history_.loss, history.loss))
        """
    ),
    md(
        "The loss curve (log scale): a steep drop in the first few epochs, then a slow "
        "approach to the floor set by the noise."
    ),
    code('plots.loss_curve(history, title="Training loss, η = 0.02")'),
    # -- Task 9 ---------------------------------------------------------------------------------
    md(
        r"""
        ## Task 9 — Predictions: untrained vs trained

        The real test of learning is to compare predictions with the truth. Since we made the
        data, we know the noise-free value $y_{\text{true}} = 3x + 2$ of every sample. We plot
        each sample's prediction against it, before training (red) and after (blue): a perfect
        model puts every point on the dashed diagonal $\hat y = y_{\text{true}}$.
        """
    ),
    code("plots.untrained_vs_trained(history, X, y, y_true=data.y_true)"),
    md(
        "The untrained model's points run the wrong way; the trained model's sit on the "
        "diagonal. In numbers, against the parameters that made the data:"
    ),
    code(
        """
        print(f"{'':4}{'untrained':>11}{'trained':>11}{'true':>8}")
        print(f"{'W':4}{history.W[0, 0]:11.4f}{history.W[-1, 0]:11.4f}{data.weights[0]:8.1f}")
        print(f"{'b':4}{history.b[0]:11.4f}{history.b[-1]:11.4f}{data.bias:8.1f}")
        """
    ),
    md(
        r"""
        The learned line is close to the truth but not equal to it: with noise, 500 samples
        pin $W$ down to about $\pm 0.015$ and $b$ to about $\pm 0.09$ (one standard error).
        The learned function and the true one, over the data:
        """
    ),
    code(
        """
        plots.true_vs_learned(
            X,
            true_weights=data.weights,
            true_bias=data.bias,
            coef=model.W,
            intercept=model.b,
            y=y,
        )
        """
    ),
    md(
        r"""
        A model is only useful if it works on data it has not seen. Fresh samples from the
        same source should give about the same MSE as the training data, close to the noise
        floor $\sigma^2 = 1$:
        """
    ),
    code(
        """
        fresh = linreg.make_regression(n_samples=500, noise=1.0, seed=1)
        print(f"MSE on the training data: {history.final_loss:.4f}")
        print(f"MSE on 500 fresh samples: {model.loss(model.forward(fresh.X), fresh.y):.4f}")
        """
    ),
    md(
        r"""
        ### The path on the loss surface

        With two parameters, the loss is a surface over the $(W, b)$ plane, and training is a
        walk on it. The contour plot below shows $L(W, b)$ exactly (it is a quadratic) and the
        1000 steps we just took. The path first drops steeply into a long, narrow valley, then
        creeps along its floor towards the optimum (the star). The next sections explain the
        shape of that valley and what it means for the learning rate.
        """
    ),
    code("plots.loss_landscape(X, y, history)"),
    # -- 10 -------------------------------------------------------------------------------------
    md(
        r"""
        ## 10 — Checking the gradients numerically

        A wrong gradient does not always crash: gradient descent may still lower the loss,
        just towards the wrong place or too slowly. So hand-derived gradients deserve an
        independent check. The derivative is a limit of difference quotients; the **central
        difference**

        $$\frac{\partial L}{\partial \theta_j} \approx
        \frac{L(\theta + h e_j) - L(\theta - h e_j)}{2h}$$

        needs only the loss, not our derivation. Its error is $O(h^2)$ for smooth functions,
        and for a quadratic such as the MSE it is exact apart from rounding. We compare the two
        with the relative error
        $\lvert g_{\text{analytic}} - g_{\text{numeric}}\rvert / \max(\lvert g_{\text{analytic}}\rvert, \lvert g_{\text{numeric}}\rvert)$:
        near $10^{-8}$ or below means agreement, near 1 means a mistake.

        First the formula by hand, for $\partial L / \partial b$ at the random start:
        """
    ),
    code(
        """
        start = linreg.LinearModel(n_features=1, init="random", seed=8)
        h = 1e-5


        def loss_at_bias(b):
            return np.mean((X @ start.W + b - y) ** 2)


        numeric_db = (loss_at_bias(start.b + h) - loss_at_bias(start.b - h)) / (2 * h)
        analytic_db = start.backward(X, y, start.forward(X)).db
        print(f"numeric {numeric_db:.8f}   analytic {analytic_db:.8f}")
        """
    ),
    md(
        "`linreg.gradcheck` does this for every parameter, with a step scaled to each "
        "parameter and a tolerance that allows for rounding:"
    ),
    code("print(linreg.gradcheck(start, X, y))"),
    md(
        "A check is only worth something if it can fail. Here is a backward pass with a "
        "classic slip — the factor 2 from differentiating the square is forgotten:"
    ),
    code(
        """
        class ForgotTheTwo(linreg.LinearModel):
            def backward(self, X, y, y_pred):
                grads = super().backward(X, y, y_pred)
                return linreg.Gradients(dW=grads.dW / 2, db=grads.db / 2)


        print(linreg.gradcheck(ForgotTheTwo(n_features=1, init="random", seed=8), X, y))
        """
    ),
    md(
        "Gradient descent would still have converged with this bug (it only halves every "
        "step), which is exactly why the check is needed."
    ),
    # -- 11 -------------------------------------------------------------------------------------
    md(
        r"""
        ## 11 — The learning-rate experiment

        How large may $\eta$ be? For linear regression the question has an exact answer.

        **The loss is a quadratic.** Put the parameters in one vector $\theta = (W, b)$ and
        append a column of ones to the inputs, $A = [X\ \ \mathbf 1]$, so that
        $\hat y = A\theta$. Then

        $$L(\theta) = \frac1N \lVert A\theta - y \rVert^2, \qquad
        \nabla L(\theta) = \frac2N A^\top (A\theta - y), \qquad
        H = \nabla^2 L = \frac2N A^\top A .$$

        The Hessian $H$ is constant (it does not depend on $\theta$), symmetric, and positive
        semi-definite: the loss is a bowl with the same shape everywhere.

        **Gradient descent on the error.** Let $\theta^*$ be the minimiser, so
        $\nabla L(\theta^*) = 0$. Since the gradient is linear in $\theta$,
        $\nabla L(\theta) = H(\theta - \theta^*)$, and the error $e_k = \theta_k - \theta^*$
        evolves as

        $$e_{k+1} = e_k - \eta H e_k = (I - \eta H)\, e_k .$$

        **Eigen-decomposition.** Write $H = Q \Lambda Q^\top$ with orthonormal eigenvectors
        $q_i$ (the columns of $Q$) and eigenvalues $\lambda_1 \ge \dots \ge \lambda_{d+1} \ge 0$.
        In the coordinates $z = Q^\top e$ the matrix $I - \eta H$ becomes diagonal, and each
        coordinate evolves on its own:

        $$z_{k,i} = (1 - \eta \lambda_i)^k \, z_{0,i} .$$

        The error along $q_i$ shrinks if and only if $\lvert 1 - \eta\lambda_i \rvert < 1$, that
        is $0 < \eta < 2/\lambda_i$. All of them shrink if and only if

        $$\boxed{\ \eta < \eta_{\max} = \frac{2}{\lambda_{\max}}\ }$$

        Above it, the error along the steepest direction grows by the factor
        $\lvert 1 - \eta\lambda_{\max}\rvert > 1$ every epoch: the loss explodes
        geometrically. Below it, the slowest direction is the flattest one: its error shrinks
        by $1 - \eta\lambda_{\min}$ per epoch, which is close to 1 when
        $\kappa = \lambda_{\max}/\lambda_{\min}$, the **condition number**, is large. The best
        constant rate, $\eta = 2/(\lambda_{\max} + \lambda_{\min})$, still only shrinks the
        error by $(\kappa - 1)/(\kappa + 1)$ per epoch.

        The eigenvalues of our data's Hessian, by hand and from `linreg.stability`:
        """
    ),
    code(
        """
        H = hessian(X)  # (2/N) AᵀA with A = [X 1]; the bias is the last row and column
        eigenvalues, eigenvectors = np.linalg.eigh(H)
        print("H =\\n", H)
        print("eigenvalues:", eigenvalues, "  eta_max = 2 / lambda_max =", 2 / eigenvalues[-1])
        stab = linreg.stability(X)
        print(
            f"linreg.stability: eta_max = {stab.max_stable_learning_rate:.5f}, "
            f"kappa = {stab.condition_number:.1f}"
        )
        """
    ),
    md(
        r"""
        The theory predicts the error in each eigen-direction exactly, not just its limit.
        We run gradient descent with $\eta = 0.005$ for 300 epochs, project the error onto the
        eigenvectors, and compare with $(1 - \eta\lambda_i)^k\, z_{0,i}$. The optimum
        $\theta^*$ is the closed-form solution of appendix B (section 14).
        """
    ),
    code(
        """
        eta, k = 0.005, 300
        with warnings.catch_warnings():
            # 300 slow epochs on purpose (linreg warns that they stop far from the optimum):
            # the point is how each eigen-direction's error decays on the way.
            warnings.simplefilter("ignore", linreg.ConvergenceWarning)
            run = linreg.LinearRegression(learning_rate=eta, epochs=k, init="random", seed=8)
            run.fit(X, y)
        exact = linreg.LinearRegression(solver="exact").fit(X, y)
        theta_star = np.append(exact.coef_, exact.intercept_)
        errors = np.column_stack([run.history_.W, run.history_.b]) - theta_star
        z = errors @ eigenvectors  # the error in eigen-coordinates, one row per epoch
        predicted = (1 - eta * eigenvalues) ** np.arange(k + 1)[:, None] * z[0]
        print("largest gap between measured and predicted z:", np.max(np.abs(z - predicted)))
        """
    ),
    code(
        """
        fig = Figure(figsize=(6.4, 4.2), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        for i, (color, name) in enumerate([("#0072B2", "flat"), ("#D55E00", "steep")]):
            ax.semilogy(
                np.abs(z[:, i]),
                color=color,
                lw=3,
                alpha=0.5,
                label=f"measured, {name} direction (λ = {eigenvalues[i]:.3g})",
            )
            ax.semilogy(
                np.abs(predicted[:, i]),
                color=color,
                ls="--",
                lw=1.5,
                label=f"theory (1 − ηλ)^k |z₀|, λ = {eigenvalues[i]:.3g}",
            )
        rounding = np.finfo(float).eps * np.linalg.norm(theta_star)
        ax.axhline(rounding, color="#666666", lw=1, ls=":", label="rounding level, ε‖θ*‖")
        ax.set_ylim(1e-17, 1e2)
        ax.set_title(f"Error along each eigenvector of H, η = {eta}")
        ax.set_xlabel("epoch k")
        ax.set_ylabel("|z_k| (distance to θ* along the eigenvector)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
        fig
        """
    ),
    md(
        r"""
        Measured and predicted agree to rounding. The steep direction's error reaches the
        rounding level of float64 within a hundred epochs (below it, theory keeps shrinking and
        the computer cannot follow); the flat direction, whose eigenvalue is
        $\kappa \approx 170$ times smaller, has not even halved its error after 300. That is
        the long valley of the landscape above.

        **The experiment.** Three learning rates, 10,000 epochs each, from $W = 0, b = 0$:
        $0.001$ and $0.005$ (below $\eta_{\max} \approx 0.027$) and $0.1$ (above it). First what
        the theory predicts, from the slowest factor $\max_i \lvert 1 - \eta\lambda_i \rvert$:
        """
    ),
    code(
        """
        for eta in (0.001, 0.005, 0.1):
            factor = np.max(np.abs(1 - eta * eigenvalues))
            if factor < 1:
                needed = np.log(1e-6) / np.log(factor)
                print(
                    f"eta = {eta}: error x {factor:.5f} per epoch;"
                    f" a millionfold reduction takes {needed:,.0f} epochs"
                )
            else:
                print(f"eta = {eta}: error x {factor:.2f} per epoch: it grows, training diverges")
        """
    ),
    md("Then what happens, with `linreg.stats.sweep.learning_rate_sweep`:"),
    code(
        """
        sweep = learning_rate_sweep(X, y, [0.001, 0.005, 0.1], epochs=10_000)
        for r in sweep.runs:
            where = f" at epoch {r.diverged_at_epoch}" if r.diverged_at_epoch is not None else ""
            print(
                f"eta = {r.learning_rate:<6} {r.status}{where}:"
                f" final loss {r.final_loss:.6g} (optimum {sweep.optimum_loss:.6g})"
            )
        """
    ),
    code("plots.learning_rate_sweep(sweep.runs, sweep.max_stable_learning_rate)"),
    md(
        r"""
        - **$\eta = 0.001$ — slow.** Stable, but the flat direction shrinks by only
          $1 - 0.001\,\lambda_{\min}$ per epoch; after 10,000 epochs the loss is still above
          the optimum.
        - **$\eta = 0.005$ — good.** Five times larger steps, five times faster: it reaches the
          least-squares optimum well within the budget.
        - **$\eta = 0.1$ — diverges.** $0.1 > \eta_{\max}$: the error along the steep direction
          is multiplied by $1 - 0.1\,\lambda_{\max} \approx -6.5$ per epoch, so each step
          overshoots the valley further
          than the last, and the loss overflows within a few epochs. `LinearRegression.fit`
          raises `linreg.DivergenceError` (with the epoch and $\eta_{\max}$) in that case, and
          warns before training when $\eta \ge \eta_{\max}$.
        """
    ),
    # -- 12 -------------------------------------------------------------------------------------
    md(
        r"""
        ## 12 — Why standardizing the features helps

        The Hessian depends on the scale and offset of the features. With one feature,

        $$H = \frac2N \begin{pmatrix} \sum_i x_i^2 & \sum_i x_i \\ \sum_i x_i & N \end{pmatrix}
        = 2 \begin{pmatrix} \overline{x^2} & \bar x \\ \bar x & 1 \end{pmatrix}.$$

        For $x \in [0, 10)$, $\overline{x^2} \approx 33$ and $\bar x \approx 5$: one very steep
        direction and one flat one, tilted because $W$ and $b$ are coupled (raising the slope
        can be compensated by lowering the intercept). **Standardizing**,
        $z_i = (x_i - \bar x)/s_x$ with $s_x$ the standard deviation, makes $\bar z = 0$ and
        $\overline{z^2} = 1$, hence

        $$H_z = 2 I, \qquad \kappa = 1, \qquad \eta_{\max} = 1 .$$

        Every direction is equally steep, the contours become circles, and the gradient points
        straight at the optimum. (With $\eta = 1/\lambda = 0.5$ a single step lands on it.)
        """
    ),
    code(
        """
        Z = (X - X.mean(axis=0)) / X.std(axis=0)
        stab_raw, stab_std = linreg.stability(X), linreg.stability(Z)
        print("H of the standardized feature:\\n", hessian(Z))
        print(
            f"raw:          kappa = {stab_raw.condition_number:8.2f}, "
            f"eta_max = {stab_raw.max_stable_learning_rate:.4f}"
        )
        print(
            f"standardized: kappa = {stab_std.condition_number:8.2f}, "
            f"eta_max = {stab_std.max_stable_learning_rate:.4f}"
        )
        """
    ),
    md(
        r"""
        A fair race: both runs use the same fraction of their own limit,
        $\eta = 0.4\,\eta_{\max}$, the same start, and 300 epochs.
        """
    ),
    code(
        """
        race = {"epochs": 300, "init": "random", "seed": 8}
        with warnings.catch_warnings():
            # The raw run is meant to lose: it stops far from the optimum, which linreg
            # warns about (ConvergenceWarning); the figure shows how far.
            warnings.simplefilter("ignore", linreg.ConvergenceWarning)
            raw_run = linreg.LinearRegression(
                learning_rate=0.4 * stab_raw.max_stable_learning_rate, **race
            ).fit(X, y)
        std_run = linreg.LinearRegression(
            learning_rate=0.4 * stab_std.max_stable_learning_rate, **race
        ).fit(Z, y)
        plots.scaling_lab(
            X,
            y,
            raw_run.history_,
            std_run.history_,
            raw_stability=stab_raw,
            std_stability=stab_std,
        )
        """
    ),
    md(
        r"""
        On the raw feature the path runs into the valley and is still creeping along it after
        300 epochs; on the standardized one it goes straight to the centre in a handful. The
        model is the same — only its coordinates changed — so a model trained on $z$ converts
        back: $W = W_z / s_x$ and $b = b_z - W\bar x$. `LinearRegression(standardize=True)`
        does that for you and reports $W$ and $b$ in the original units:
        """
    ),
    code(
        """
        scaled = linreg.LinearRegression(standardize=True, learning_rate=0.5, epochs=50).fit(X, y)
        print(f"standardized GD, 50 epochs: W = {scaled.coef_[0]:.10f}, b = {scaled.intercept_:.10f}")
        print(f"exact solution:             W = {exact.coef_[0]:.10f}, b = {exact.intercept_:.10f}")
        """
    ),
    md(
        r"""
        ## Play with it: the lab

        Everything above, on one interactive page drawn from this notebook's data: drag $W$
        and $b$ and watch the line, the squared residuals and the point on the loss
        landscape; choose the learning rate on a slider marked with $\eta_{\max}$ (past it
        the path spirals out, and the page says at which epoch it diverged); toggle
        standardization to see the valley become a bowl; and switch to mini-batches or single
        rows to see the noisy paths. Every number on it was computed here, in Python, by
        linreg; the page needs no server and no network (`linreg lab DATA --out lab.html`
        writes the same page as a file).
        """
    ),
    code(
        """
        linreg.show_lab(data)
        """
    ),
    # -- summary, then the appendix ----------------------------------------------------------------
    md(
        r"""
        ## Summary

        | | idea | in `linreg` |
        |---|---|---|
        | model | $\hat y = XW + b$ | `LinearModel.forward` |
        | loss | $L = \frac1N\lVert \hat y - y\rVert^2$ | `LinearModel.loss` |
        | gradient | $\frac2N X^\top r,\ \frac2N\sum_i r_i$, by the chain rule | `LinearModel.backward`, checked by `gradcheck` |
        | update | $\theta \leftarrow \theta - \eta\,\nabla L$ | `LinearModel.step` |
        | stability | $\eta < 2/\lambda_{\max}(H)$; speed set by $\kappa$ | `stability`, `learning_rate_sweep` |
        | scaling | standardized features give $\kappa = 1$ | `LinearRegression(standardize=True)` |
        | batches | unbiased but noisy gradients, more updates per epoch | `LinearRegression(solver="sgd")` |
        | yardstick | least squares by QR, never $A^\top A$ | `LinearRegression(solver="exact")` |

        The two appendices go further, into what the package does beyond the textbook loop:
        mini-batches and the exact solver. They can be skipped on a first reading.
        """
    ),
    # -- 13 -------------------------------------------------------------------------------------
    md(
        r"""
        ## Appendix A (section 13) — Full-batch, mini-batch and stochastic gradient descent

        Full-batch gradient descent reads all $N$ samples for every update. **Mini-batch**
        gradient descent shuffles the data and takes one step per batch $B$ of $\lvert B\rvert$
        samples, with the gradient of the loss on that batch alone:

        $$g_B = \left(\frac{2}{\lvert B\rvert} X_B^\top r_B,\ \
        \frac{2}{\lvert B\rvert}\sum_{i \in B} r_i\right).$$

        - For a randomly drawn batch, $g_B$ is an **unbiased** estimate of the full gradient:
          $\mathbb E[g_B] = \nabla L$. Its noise shrinks as the batch grows.
        - One epoch (one pass over the data) now makes $N/\lvert B\rvert$ updates instead of
          one, for the same amount of arithmetic.
        - $\lvert B\rvert = 1$ is classic **stochastic** gradient descent (SGD): the cheapest
          and noisiest steps.
        - With a constant $\eta$, the noise never dies out: SGD does not settle at $\theta^*$
          but keeps jittering around it, in a region that shrinks with $\eta$. And a single
          sample's Hessian $2\,(x_i^2 + 1)$ can be far larger than the average one, so the
          stable $\eta$ is smaller for small batches.

        Three runs, 40 epochs each, from the same start (`solver="sgd"` shuffles with the
        seed; its history records the parameters once per epoch):
        """
    ),
    code(
        """
        common = {"epochs": 40, "init": "random", "seed": 8}
        with warnings.catch_warnings():
            # 40 epochs are too few for full-batch GD on purpose (linreg warns that it
            # stops far from the optimum): the race is over the same 40 passes.
            warnings.simplefilter("ignore", linreg.ConvergenceWarning)
            runs = {
                "full-batch GD": linreg.LinearRegression(
                    solver="gd", learning_rate=0.02, **common
                ).fit(X, y),
                "mini-batch SGD, |B| = 32": linreg.LinearRegression(
                    solver="sgd", batch_size=32, learning_rate=0.01, **common
                ).fit(X, y),
                "SGD, |B| = 1": linreg.LinearRegression(
                    solver="sgd", batch_size=1, learning_rate=0.002, **common
                ).fit(X, y),
            }
        optimum = exact.history_.final_loss
        for name, fitted in runs.items():
            per_epoch = 1 if fitted.solver == "gd" else -(-len(y) // fitted.batch_size)
            gap = fitted.history_.final_loss - optimum
            print(
                f"{name:25} {per_epoch:3} updates per epoch;"
                f" after 40 epochs the loss is {gap:.2e} above the optimum"
            )
        """
    ),
    code(
        """
        plots.optimizer_paths(X, y, {name: fitted.history_ for name, fitted in runs.items()})
        """
    ),
    md(
        "Full-batch gradient descent (vermillion) zigzags across the valley in its first "
        "steps, then crawls along the valley floor: after 40 epochs it is still far below "
        "the star. The mini-batch and single-sample paths are already near it. The same runs "
        "as loss curves, measured as the distance of the loss above the least-squares "
        "optimum (log scale):"
    ),
    code(
        """
        fig = Figure(figsize=(6.4, 4.2), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        for (name, fitted), color in zip(runs.items(), ["#D55E00", "#E69F00", "#56B4E9"], strict=True):
            ax.semilogy(fitted.history_.loss - optimum, color=color, lw=2, marker="o", ms=3, label=name)
        ax.set_title("Full batch vs mini-batch vs stochastic: loss per epoch")
        ax.set_xlabel("epoch (one pass over the 500 samples)")
        ax.set_ylabel("MSE minus least-squares MSE")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig
        """
    ),
    md(
        r"""
        Per epoch — that is, for the same arithmetic — the stochastic runs get much further
        down the flat valley, because they make 16 or 500 updates where full-batch gradient
        descent makes one. The price is noise: their losses stop falling steadily and bounce,
        because with a constant learning rate each noisy step kicks the parameters away from
        the optimum again. Full-batch gradient descent is slow here but smooth and, given
        time, exact. In practice one lowers the learning rate of SGD over time; for a problem
        this small one simply uses the full batch, on standardized features, or the exact
        solution below.
        """
    ),
    md(
        r"""
        **When $N$ is large: knowing when to stop, inside the first epoch.** Each batch's
        loss, measured *before* the step that uses it, is a loss on rows the model has not
        been trained on yet (in the first epoch): a free estimate of the test loss, called
        *progressive validation*. On a large dataset it levels off long before the epoch
        ends, and there is no point in reading the rest. `solver="sgd"` with `tol` watches
        it: it averages the batch losses over windows (at least 16,384 rows, growing with the
        run so that their averages get steadier) and stops once two windows in a row fail to
        improve on the best one by the fraction `tol`.

        Here is that loop by hand, with the model's own `forward`, `loss`, `backward` and
        `step`, on 400,000 rows (`linreg.training.shuffle_rows` is the shuffle
        `solver="sgd"` uses; `linreg.training.Plateau` the stopping test):
        """
    ),
    code(
        """
        from linreg import training

        big = linreg.make_regression(n_samples=400_000, x_range=(-1.0, 1.0), seed=3)
        batch_size, lr = 256, 0.1
        order = training.shuffle_rows(np.random.default_rng(0), len(big.y))
        net = linreg.LinearModel(1)
        plateau = training.Plateau(tol=1e-3, batch_size=batch_size)
        batch_losses = []
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            X_b, y_b = big.X[rows], big.y[rows]
            y_pred = net.forward(X_b)
            batch_losses.append(net.loss(y_pred, y_b))  # before the step: rows not yet trained on
            net.step(net.backward(X_b, y_b, y_pred), lr)
            if plateau.add(batch_losses[-1]):
                break
        seen = len(batch_losses) * batch_size
        print(f"stopped after {len(batch_losses)} batches: {seen:,} of {len(big.y):,} rows "
              f"({seen / len(big.y):.0%} of one epoch)")

        fitted = linreg.LinearRegression(solver="sgd", batch_size=batch_size, learning_rate=lr, tol=1e-3)
        fitted.fit(big.X, big.y)
        big_exact = linreg.LinearRegression(solver="exact").fit(big.X, big.y)
        print(f"by hand:          W = {net.W[0]:.6f}, b = {net.b:.6f}")
        print(f"LinearRegression: W = {fitted.coef_[0]:.6f}, b = {fitted.intercept_:.6f}"
              f"  (stop reason: {fitted.stop_reason_})")
        print(f"exact:            W = {big_exact.coef_[0]:.6f}, b = {big_exact.intercept_:.6f}")
        print(f"training MSE {fitted.history_.final_loss:.5f} against the optimum's "
              f"{big_exact.history_.final_loss:.5f}")
        """
    ),
    code(
        """
        fig = Figure(figsize=(6.4, 4.2), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        rows_seen = batch_size * np.arange(1, len(batch_losses) + 1)
        smooth = np.convolve(batch_losses, np.ones(16) / 16, mode="valid")
        ax.semilogy(rows_seen, batch_losses, color="#56B4E9", lw=0.8, alpha=0.6, label="batch loss")
        ax.semilogy(rows_seen[15:], smooth, color="#0072B2", lw=2, label="mean of the last 16 batches")
        ax.axhline(big_exact.history_.final_loss, color="black", ls="--", label="least-squares MSE")
        ax.set_title("Progressive validation: each batch's loss before its step")
        ax.set_xlabel("rows read (the epoch has 400,000)")
        ax.set_ylabel("MSE")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig
        """
    ),
    md(
        "The loop by hand and `LinearRegression` give the same numbers to the last bit: "
        "the same shuffle, the same steps, the same stopping test. The loss falls to the "
        "noise level ($\\sigma^2 = 1$) within the first few percent of the rows and then only "
        "jitters; the test waits until windows of the jitter stop improving and ends the fit "
        "a quarter of the way into the epoch, with a training MSE 0.02% above the optimum's."
    ),
    # -- 14 -------------------------------------------------------------------------------------
    md(
        r"""
        ## Appendix B (section 14) — The closed-form solution as the yardstick

        For linear regression we do not need to iterate at all. At the minimum the gradient
        vanishes:

        $$\nabla L(\theta) = \frac2N A^\top (A\theta - y) = 0
        \quad\Longleftrightarrow\quad A^\top A\, \theta = A^\top y ,$$

        the **normal equations**. Solving them directly is the textbook formula
        $\theta = (A^\top A)^{-1}A^\top y$, but it is numerically the worst way: forming
        $A^\top A$ *squares* the condition number, $\kappa(A^\top A) = \kappa(A)^2$, so the
        solution loses twice as many digits as the data justify.

        **QR instead.** Factor $A = QR$ with $Q$ having orthonormal columns and $R$ upper
        triangular. Multiplying by an orthonormal matrix does not change lengths, so
        minimising $\lVert A\theta - y\rVert$ is the same as solving the triangular system

        $$R\,\theta = Q^\top y$$

        by back-substitution, and $\kappa(R) = \kappa(A)$: nothing is squared.
        `LinearRegression(solver="exact")` uses Householder QR with iterative refinement.

        On our data the exact solution, gradient descent from Task 8, and the truth:
        """
    ),
    code(
        """
        print(f"{'':4}{'gradient descent':>18}{'exact (QR)':>14}{'true':>7}")
        print(f"{'W':4}{model.W[0]:18.6f}{exact.coef_[0]:14.6f}{data.weights[0]:7.1f}")
        print(f"{'b':4}{model.b:18.6f}{exact.intercept_:14.6f}{data.bias:7.1f}")
        """
    ),
    md(
        r"""
        Gradient descent and the exact solution agree to a few $10^{-4}$ after 1000 epochs,
        and the gap shrinks by the factor $1 - \eta\lambda_{\min}$ every epoch: it is the
        slow flat direction of section 11, not a different answer. Both differ from the truth
        by the same amount, which is the noise in the data, not the method. Run longer and
        gradient descent reaches the exact solution to rounding:
        """
    ),
    code(
        """
        for epochs_run in (1000, 2000, 3000, 5000):
            gd = linreg.LinearRegression(learning_rate=0.02, epochs=epochs_run, init="random", seed=8)
            gd.fit(X, y)
            gap = np.abs(np.append(gd.coef_, gd.intercept_) - theta_star).max()
            print(f"{epochs_run:6,} epochs: largest |theta_GD - theta*| = {gap:.1e}")
        """
    ),
    md(
        r"""
        **Why not the normal equations — an example.** Move the same line far from the
        origin: $x \in [100\,000,\ 100\,010)$ (think of a timestamp or a distance in metres)
        and no noise, so the exact answer is $W = 3,\ b = 2$. The column of $x$ and the column
        of ones are then almost parallel, and $A$ is badly conditioned.
        """
    ),
    code(
        """
        far = linreg.make_regression(n_samples=500, noise=0.0, x_range=(1e5, 1e5 + 10), seed=0)
        A = np.column_stack([far.X, np.ones(len(far.y))])
        print(f"cond(A) = {np.linalg.cond(A):.1e}   cond(AᵀA) = {np.linalg.cond(A.T @ A):.1e}")

        normal = np.linalg.solve(A.T @ A, A.T @ far.y)  # the textbook formula
        Q, R = np.linalg.qr(A)
        by_qr = np.linalg.solve(R, Q.T @ far.y)  # R is triangular: back-substitution
        qr_fit = linreg.LinearRegression(solver="exact").fit(far.X, far.y)
        for name, (W_hat, b_hat) in [
            ("normal equations", normal),
            ("plain QR", by_qr),
            ("linreg exact", (qr_fit.coef_[0], qr_fit.intercept_)),
        ]:
            print(f"{name:17} W = {W_hat:.12f}   b = {b_hat:.9f}")
        """
    ),
    md(
        r"""
        With $\kappa(A^\top A) \approx 10^{19} > 1/\varepsilon_{\text{machine}} \approx
        4.5 \times 10^{15}$, the normal equations have no correct digit left in $b$. Both QR
        solutions recover $b$ to about seven digits; what remains comes from the rounding of
        $y \approx 300\,000$ itself, which no method can undo. (`linreg` factors the design
        with centred columns and refines the solution in extended precision, so it stays at
        that limit on much harder problems too.)
        """
    ),
    code(
        """
        print(
            f"This notebook ran in {time.perf_counter() - notebook_start:.1f} s"
            " (on the machine that produced these outputs)."
        )
        """
    ),
]


# ---------------------------------------------------------------------------------------------
# Notebook 2: hand-written gradients vs automatic differentiation
# ---------------------------------------------------------------------------------------------
AUTODIFF: list[Cell] = [
    md(
        r"""
        # Hand-written gradients vs automatic differentiation

        There are three ways to get the gradient of a loss:

        1. **derive it by hand**, as in Task 6 of `linear_regression_from_scratch.ipynb`:
           $\nabla_W L = \frac2N X^\top r,\ \partial L/\partial b = \frac2N \sum_i r_i$, which
           is `linreg.LinearModel.backward`;
        2. **approximate it numerically** with finite differences (`linreg.gradcheck`):
           simple, but approximate and one or two loss evaluations per parameter;
        3. **automatic differentiation** (autodiff): let the computer apply the chain rule to
           every elementary operation the program performs. This is neither symbolic algebra
           nor finite differences: the result is exact up to floating-point rounding.

        This notebook builds a tiny autodiff by hand (forward mode, with *dual numbers*), walks
        through reverse mode, compares both with the hand-written gradient, and then — if
        PyTorch is installed — does the same with PyTorch's autograd and times each method.
        Nothing here needs PyTorch: without it those cells say so and do nothing else.
        """
    ),
    code(
        """
        import os
        import platform
        import statistics
        import time

        import numpy as np

        import linreg

        data = linreg.make_regression(
            n_samples=200, n_features=3, weights=[3.0, -1.0, 0.5], bias=2.0, seed=0
        )
        X, y = data.X, data.y
        model = linreg.LinearModel(n_features=3, init="random", seed=1)
        grads = model.backward(X, y, model.forward(X))
        hand = np.append(grads.dW, grads.db)  # [dL/dW1, dL/dW2, dL/dW3, dL/db]
        print("hand-written gradient:", hand)
        """
    ),
    code(
        """
        def relative_error(a, b):
            \"\"\"Largest |a - b| relative to the largest |b|: 1e-16 is perfect, 1 is wrong.\"\"\"
            return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))
        """
    ),
    # -- forward mode ---------------------------------------------------------------------------
    md(
        r"""
        ## 1. Forward mode: dual numbers

        A **dual number** is $a + a'\varepsilon$, where $\varepsilon$ is a new symbol with
        $\varepsilon^2 = 0$ (and $\varepsilon \neq 0$). Arithmetic on dual numbers carries a
        derivative along with every value:

        $$(a + a'\varepsilon) + (c + c'\varepsilon) = (a + c) + (a' + c')\,\varepsilon,$$
        $$(a + a'\varepsilon)(c + c'\varepsilon) = ac + (a c' + a' c)\,\varepsilon
        + a'c'\,\underbrace{\varepsilon^2}_{0}.$$

        The $\varepsilon$ parts follow the sum rule and the product rule. So for any function
        $f$ built from $+$, $-$ and $\times$, evaluating it at $x + 1\,\varepsilon$ gives

        $$f(x + \varepsilon) = f(x) + f'(x)\,\varepsilon ,$$

        the value and the derivative in one pass. (This is the Taylor expansion cut after the
        linear term — exactly, because $\varepsilon^2 = 0$.) A `Dual` class needs only a few
        lines:
        """
    ),
    code(
        """
        class Dual:
            \"\"\"The number value + dot·ε with ε² = 0; `dot` carries a derivative.\"\"\"

            def __init__(self, value, dot=0.0):
                self.value, self.dot = value, dot

            @staticmethod
            def lift(other):
                return other if isinstance(other, Dual) else Dual(other)

            def __add__(self, other):
                other = Dual.lift(other)
                return Dual(self.value + other.value, self.dot + other.dot)

            def __sub__(self, other):
                other = Dual.lift(other)
                return Dual(self.value - other.value, self.dot - other.dot)

            def __mul__(self, other):  # the product rule
                other = Dual.lift(other)
                return Dual(self.value * other.value, self.value * other.dot + self.dot * other.value)

            __radd__ = __add__
            __rmul__ = __mul__

            def __rsub__(self, other):
                return Dual.lift(other) - self

            def __repr__(self):
                return f"Dual({self.value:.6g}, {self.dot:.6g})"
        """
    ),
    md(
        "A first test: $f(x) = x^2 + 3x$ has $f(2) = 10$ and $f'(x) = 2x + 3$, so "
        "$f'(2) = 7$. We seed $x = 2$ with derivative $dx/dx = 1$:"
    ),
    code(
        """
        x = Dual(2.0, 1.0)
        x * x + 3 * x
        """
    ),
    md(
        r"""
        Now the MSE. We write it in plain Python, operation by operation, so that it runs on
        ordinary floats and on dual numbers alike:

        $$L = \frac1N \sum_{i=1}^N r_i^2, \qquad r_i = b - y_i + \sum_j x_{ij} W_j .$$

        To get $\partial L / \partial \theta_j$, give parameter $\theta_j$ the derivative 1
        and all the others 0, and read the $\varepsilon$ part of the loss. One pass per
        parameter: $d + 1 = 4$ passes here.
        """
    ),
    code(
        """
        def mse(W, b, X, y):
            \"\"\"(1/N) Σ_i (Σ_j x_ij W_j + b - y_i)², one operation at a time.\"\"\"
            total = 0.0
            for x_i, y_i in zip(X, y, strict=True):
                r = b - y_i
                for x_ij, W_j in zip(x_i, W, strict=True):
                    r = r + W_j * x_ij
                total = total + r * r
            return total * (1.0 / len(y))


        def forward_mode_gradient(W, b, X, y):
            theta = [*W, b]
            gradient = []
            for j in range(len(theta)):  # one pass per parameter
                seeded = [Dual(t, 1.0 if k == j else 0.0) for k, t in enumerate(theta)]
                gradient.append(mse(seeded[:-1], seeded[-1], X, y).dot)
            return np.array(gradient)
        """
    ),
    code(
        """
        X_list, y_list = X.tolist(), y.tolist()  # plain Python floats
        dual = forward_mode_gradient(model.W.tolist(), model.b, X_list, y_list)
        print("dual numbers: ", dual)
        print("hand-written: ", hand)
        error = relative_error(dual, hand)
        print(f"relative difference: {error:.1e}")
        assert error < 1e-12
        """
    ),
    md("The loss value itself comes out of the same pass, and matches `model.loss` too:"),
    code(
        """
        value = mse(model.W.tolist(), model.b, X_list, y_list)
        print(value, model.loss(model.forward(X), y))
        """
    ),
    # -- reverse mode ---------------------------------------------------------------------------
    md(
        r"""
        ## 2. Reverse mode: what `backward` does

        Forward mode pushes derivatives *with respect to one input* through the program, so it
        needs one pass per parameter — fine for 4 parameters, hopeless for a network with
        millions. **Reverse mode** (backpropagation) does the opposite: it runs the program
        once forwards, keeping the intermediate values, then walks the computation backwards,
        carrying the derivative *of the output* with respect to each intermediate value (its
        *adjoint*, written $\bar v = \partial L / \partial v$). One backward pass gives the
        derivative with respect to every parameter.

        For the MSE the graph is $\hat y = XW + b \to r = \hat y - y \to L = \frac1N \sum r_i^2$,
        and the adjoints, from the end:

        $$\bar L = 1, \qquad \bar r = \bar L\, \frac{2}{N} r, \qquad \bar{\hat y} = \bar r,
        \qquad \bar W = X^\top \bar{\hat y}, \qquad \bar b = \textstyle\sum_i \bar{\hat y}_i .$$

        These are the equations of Task 6: a hand-written backward pass *is* reverse-mode
        autodiff, worked out once on paper for this one program. Step by step in NumPy:
        """
    ),
    code(
        """
        y_pred = X @ model.W + model.b  # forward, keeping every intermediate
        r = y_pred - y
        L = np.mean(r * r)

        L_bar = 1.0  # backward, from the output to the inputs
        r_bar = L_bar * (2 / len(y)) * r
        y_pred_bar = r_bar
        W_bar, b_bar = X.T @ y_pred_bar, np.sum(y_pred_bar)

        reverse = np.append(W_bar, b_bar)
        print("reverse mode:", reverse, f"  relative difference {relative_error(reverse, hand):.1e}")
        """
    ),
    # -- PyTorch --------------------------------------------------------------------------------
    md(
        r"""
        ## 3. PyTorch autograd

        PyTorch records the operations on tensors that have `requires_grad=True` and runs
        reverse mode over that record when `.backward()` (or `torch.autograd.grad`) is called.
        It is **not** a dependency of `linreg`. To run the cells of this section, install it
        into the environment of this kernel:

        ```bash
        pip install torch
        ```

        Without it, the cells below print a message and skip themselves.
        """
    ),
    code(
        """
        try:
            import torch
        except ImportError:
            torch = None
            print("PyTorch is not installed: the PyTorch cells are skipped (pip install torch).")
        else:
            print("PyTorch", torch.__version__)
        """
    ),
    md(
        "When PyTorch is installed, the next cell compares its autograd, in double precision "
        "(float64 tensors), with the hand-written gradient and requires them to agree to "
        "rounding; its output says whether this run had PyTorch and what it found."
    ),
    code(
        """
        if torch is None:
            print("Skipped: PyTorch is not installed.")
        else:
            W_t = torch.tensor(model.W, dtype=torch.float64, requires_grad=True)
            b_t = torch.tensor(model.b, dtype=torch.float64, requires_grad=True)
            X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
            loss_t = torch.mean((X_t @ W_t + b_t - y_t) ** 2)
            loss_t.backward()
            autograd = np.append(W_t.grad.numpy(), b_t.grad.item())
            print("PyTorch autograd:", autograd)
            print("hand-written:    ", hand)
            error = relative_error(autograd, hand)
            print(f"relative difference: {error:.1e}")
            assert error < 1e-12
        """
    ),
    # -- cost -----------------------------------------------------------------------------------
    md(
        r"""
        ## 4. What each costs

        All methods give the same numbers; they differ in cost. We time one gradient of the
        MSE on a larger problem, $N = 100{,}000$ samples and $d = 8$ features, taking the
        median of repeated runs with `time.perf_counter`:

        - **hand-written** (`forward` + `backward`): two passes over the data;
        - **central differences**: two loss evaluations per parameter, $2(d + 1) = 18$ passes;
        - **PyTorch autograd**: one forward pass that records the graph, one backward pass
          (when installed). It runs on one thread, as NumPy's element-wise operations do: a
          like-for-like comparison, and on a small machine two thread pools competing for the
          same cores would distort both timings;
        - **dual numbers**: pure Python, one pass per parameter and one Python operation per
          multiply-add — far too slow for 800,000 numbers, so it is timed on the small
          $200 \times 3$ problem above instead, next to the hand-written gradient on the same
          data.

        The timings are those of the run that produced this output, on the machine that ran
        it; they depend on the machine, its load and the libraries' threading, so read the
        ratios rather than the absolute numbers.
        """
    ),
    code(
        """
        big = linreg.make_regression(n_samples=100_000, n_features=8, seed=2)
        big_model = linreg.LinearModel(n_features=8, init="random", seed=3)


        def median_seconds(function, repeats=15):
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                function()
                times.append(time.perf_counter() - start)
            return statistics.median(times)


        def hand_gradient():
            return big_model.backward(big.X, big.y, big_model.forward(big.X))


        def central_differences(h=1e-6):
            probe = linreg.LinearModel(n_features=8)
            theta = np.append(big_model.W, big_model.b)
            gradient = np.empty_like(theta)
            for j in range(theta.size):
                values = []
                for sign in (1, -1):
                    shifted = theta.copy()
                    shifted[j] += sign * h
                    probe.W, probe.b = shifted[:-1], shifted[-1]
                    values.append(probe.loss(probe.forward(big.X), big.y))
                gradient[j] = (values[0] - values[1]) / (2 * h)
            return gradient
        """
    ),
    code(
        """
        timings = {
            "hand-written, 100,000 x 8": median_seconds(hand_gradient),
            "central differences, 100,000 x 8": median_seconds(central_differences),
            "PyTorch autograd, 100,000 x 8": None,
        }
        if torch is not None:
            torch.set_num_threads(1)  # like NumPy's element-wise operations: one core
            X_big, y_big = torch.from_numpy(big.X), torch.from_numpy(big.y)
            W_big = torch.tensor(big_model.W, dtype=torch.float64, requires_grad=True)
            b_big = torch.tensor(big_model.b, dtype=torch.float64, requires_grad=True)

            def torch_gradient():
                loss = torch.mean((X_big @ W_big + b_big - y_big) ** 2)
                return torch.autograd.grad(loss, (W_big, b_big))

            timings["PyTorch autograd, 100,000 x 8"] = median_seconds(torch_gradient)
        timings["hand-written, 200 x 3"] = median_seconds(
            lambda: model.backward(X, y, model.forward(X)), repeats=101
        )
        timings["dual numbers, 200 x 3"] = median_seconds(
            lambda: forward_mode_gradient(model.W.tolist(), model.b, X_list, y_list), repeats=5
        )
        """
    ),
    code(
        """
        versions = f"NumPy {np.__version__}" + ("" if torch is None else f", PyTorch {torch.__version__}")
        print(
            f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()},"
            f" {versions}\\n"
        )
        print(f"{'gradient by':34}{'median time':>14}")
        for name, seconds in timings.items():
            shown = "not installed" if seconds is None else f"{seconds * 1e3:.3f} ms"
            print(f"{name:34}{shown:>14}")
        slower = timings["dual numbers, 200 x 3"] / timings["hand-written, 200 x 3"]
        print(f"\\ndual numbers: {slower:,.0f} x slower than the hand-written gradient on 200 x 3")
        """
    ),
    md(
        r"""
        What to take from the numbers:

        - The **hand-written** gradient is the cheapest possible: two vectorised passes over the
          data, no bookkeeping. Its cost is the price of deriving (and checking) it by hand.
        - **Central differences** cost $2(d + 1)$ loss evaluations — fine for a check, never for
          training. Their truncation error falls like $h^2$ and their rounding error grows like
          $\varepsilon_{\text{machine}}/h$; the best step balances the two at
          $h \approx \sqrt[3]{\varepsilon_{\text{machine}}}$ (times the scale of the
          parameter), where the error is about $\varepsilon_{\text{machine}}^{2/3}
          \approx 4 \times 10^{-11}$ relative to the scale of the function, for a general
          smooth function.
        - **Reverse-mode autodiff** costs, by construction, a small constant multiple of one
          forward pass whatever the number of parameters, and needs no derivation. Whether
          this run measured it with PyTorch is said by the cell below: the timings above have
          a PyTorch row only when it was installed, and nothing here is concluded about PyTorch
          from a run without it.
        - **Forward mode** (dual numbers) costs one pass per parameter; in pure Python each
          pass is also thousands of times slower than NumPy. Forward mode shines when a
          function has few inputs and many outputs, the opposite of a loss.

        For linear regression the hand-written gradient is short, fast and verified — by
        finite differences in `linreg.gradcheck`, by forward-mode dual numbers here, and by
        PyTorch's reverse mode when it is installed.
        """
    ),
    code(
        """
        measured = timings["PyTorch autograd, 100,000 x 8"]
        if measured is None:
            print(
                "This run had no PyTorch: nothing was measured for reverse-mode autodiff, and its "
                "cost above is the textbook claim, not a measurement (pip install torch, rerun)."
            )
        else:
            ratio = measured / timings["hand-written, 100,000 x 8"]
            print(f"Measured here: PyTorch autograd took {ratio:.1f} x the hand-written gradient's time.")
        """
    ),
]

# ---------------------------------------------------------------------------------------------
# Notebook 3: generalization
# ---------------------------------------------------------------------------------------------
GENERALIZATION: list[Cell] = [
    md(
        r"""
        # Generalization: does the model work on data it has not seen?

        The first notebook trained a line until its training error could not go lower, and
        ended with a number it did not explain: a training MSE of **0.876** against **1.107**
        on fresh samples. This chapter asks the question behind it. A model is fitted to $N$
        examples but used on others; how well it does *there* is its **generalization**, and
        it is what every practitioner actually cares about.

        The plan, each step derived before it is computed, and each result checked against
        a truth we know:

        | section | idea | the package |
        |---|---|---|
        | 1 | data from a known curve | NumPy's seeded `Generator` |
        | 2 | underfitting, overfitting, the U curve | `PolynomialRegression` |
        | 3 | bias and variance, by refitting on fresh samples | `PolynomialRegression` |
        | 4 | learning curves | `PolynomialRegression`, `model_selection.learning_curve` |
        | 5 | ridge: gradient, closed form, condition number | `LinearRegression(alpha=...)`, `stability` |
        | 6 | lasso: soft-thresholding, sparsity, the path | `l1_ratio=1`, `regularization_path` |
        | 7 | choosing the degree and α by cross-validation | `linreg.model_selection` |
        | 8 | early stopping as regularization | `LinearRegression(early_stopping=True)`, `history_` |
        | 9 | learning-rate schedules and momentum | `LinearRegression(lr_schedule=..., momentum=...)` |
        | 10 | 0.876 against 1.107, explained | `make_regression`, `LinearRegression` |

        Every figure comes from `linreg.viz`. Each section ends with exercises; the answers are
        at the end.
        """
    ),
    code(
        """
        %matplotlib inline
        import time
        import warnings
        from fractions import Fraction

        import numpy as np

        import linreg
        from linreg.model import soft_threshold
        from linreg.model_selection import ValidationCurve, cross_validate, learning_curve, validation_curve
        from linreg.training import Schedule
        from linreg.viz import generalization_plots as gplots
        from linreg.viz import plots, selection_plots
        from linreg.viz.path_plots import plot_regularization_path

        np.set_printoptions(precision=4, suppress=True)
        notebook_start = time.perf_counter()


        def mse(model, X, y):
            \"\"\"The mean squared error of a fitted model's predictions for X against y.\"\"\"
            return linreg.metrics.mse(y, model.predict(X))
        """
    ),
    # -- 1 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 1 — Data from a known curve

        To judge generalization we need the truth, so we make the data ourselves. The inputs
        are uniform on $[-1, 1]$ and the targets follow a cubic plus Gaussian noise:

        $$y = f(x) + \varepsilon, \qquad f(x) = 1 - 3x + 4x^3, \qquad
        x \sim \mathcal U[-1, 1],\quad \varepsilon \sim \mathcal N(0, \sigma^2),\ \sigma = 0.3 .$$

        No model can predict the noise, so even $f$ itself has an expected squared error of
        $\sigma^2 = 0.09$ on new data: the **noise floor**. We train on only $N = 20$ points,
        few enough for the choice of model to matter, and keep 2,000 more as a **test set**
        that no fit will ever see.
        """
    ),
    code(
        """
        SIGMA = 0.3
        NOISE_FLOOR = SIGMA**2


        def f(x):
            \"\"\"The true curve.\"\"\"
            return 1.0 - 3.0 * x + 4.0 * x**3


        def sample(n, rng):
            \"\"\"n points (x, y) from the curve with noise, drawn from the generator rng.\"\"\"
            x = rng.uniform(-1.0, 1.0, n)
            return x, f(x) + SIGMA * rng.standard_normal(n)


        rng = np.random.default_rng(1)
        x_train, y_train = sample(20, rng)
        x_test, y_test = sample(2000, rng)
        grid = np.linspace(-1.0, 1.0, 201)  # where curves are drawn

        test_noise = y_test - f(x_test)
        print(f"test noise: mean {test_noise.mean():+.4f}, variance {test_noise.var():.4f} (sigma^2 = {NOISE_FLOOR})")
        assert abs(test_noise.var() / NOISE_FLOOR - 1) < 4 * np.sqrt(2 / 2000)  # 4 standard errors
        """
    ),
    md(
        r"""
        **Exercises 1.** (a) Why is the expected squared error of the true curve on new data
        exactly $\sigma^2$? (b) The test set's noise variance is not exactly 0.09. How far from
        it do you expect it to be with 2,000 points?
        """
    ),
    # -- 2 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 2 — Underfitting and overfitting: the polynomial degree

        A polynomial of degree $k$ is still *linear regression*: linear in its parameters,
        with the features $x, x^2, \dots, x^k$,

        $$\hat y(x) = B_0 + B_1 x + \dots + B_k x^k ,$$

        so $p = k + 1$ parameters are fitted by least squares. `PolynomialRegression(k)`
        solves it exactly. The **training MSE** can only go down as $k$ grows: the
        degree-$(k{+}1)$ model contains the degree-$k$ one (set $B_{k+1} = 0$), so its
        minimum is at most as high. The **test MSE** behaves differently:

        - too low a degree cannot bend like $f$: it **underfits**, wrong on training and
          test data alike;
        - too high a degree bends to follow the noise of the 20 points: it **overfits**,
          with a training error below $\sigma^2$ and a test error far above it.
        """
    ),
    code(
        """
        degrees = np.arange(1, 13)
        fits = {k: linreg.PolynomialRegression(degree=int(k)).fit(x_train, y_train) for k in degrees}
        train_mse = np.array([linreg.metrics.mse(y_train, fits[k].predict(x_train)) for k in degrees])
        test_mse = np.array([linreg.metrics.mse(y_test, fits[k].predict(x_test)) for k in degrees])
        for k, tr, te in zip(degrees, train_mse, test_mse):
            print(f"degree {k:2d}: training MSE {tr:.4f}   test MSE {te:10.4f}")

        # Nested models: the training error never rises with the degree (up to rounding).
        assert np.all(np.diff(train_mse) <= 1e-12)
        best_degree = int(degrees[np.argmin(test_mse)])
        assert best_degree in (3, 4, 5)  # near the true degree, 3
        assert test_mse[0] > 4 * NOISE_FLOOR  # a line underfits a cubic
        assert test_mse[-1] > 10 * NOISE_FLOOR and train_mse[-1] < NOISE_FLOOR  # degree 12 overfits
        """
    ),
    md("Three of these fits over the data, with the true curve dashed:"),
    code(
        """
        gplots.polynomial_fits(
            x_train,
            y_train,
            grid,
            {f"degree {k}": fits[k].predict(grid) for k in (1, 3, 12)},
            y_true_grid=f(grid),
        )
        """
    ),
    md(
        r"""
        The training and test errors against the degree give the classic **U curve**: the
        training error falls steadily, the test error falls while the model gains the
        flexibility it needs, bottoms out near the noise floor, then climbs as the extra
        flexibility is spent on noise. (Test errors are on a log scale; degree 12 is off by
        orders of magnitude between the data points.)
        """
    ),
    code(
        """
        gplots.complexity_curve(degrees, train_mse, test_mse, noise_floor=NOISE_FLOOR,
                                title="Training and test error against the degree (N = 20)")
        """
    ),
    md(
        r"""
        Note the trap in that figure: reading the best degree off the **test** curve uses
        the test set to choose the model, after which its error is no longer an honest
        estimate for new data. Section 7 chooses with cross-validation instead.

        **Exercises 2.** (a) What training MSE does degree 19 reach on these 20 points, and
        why? (b) Degree 2 is barely better than degree 1 here. Why does adding $x^2$ help so
        little for this $f$? (c) With 2,000 training points instead of 20, would degree 12
        still overfit badly?
        """
    ),
    # -- 3 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 3 — Bias and variance

        The fitted curve $\hat y(x)$ depends on the training sample: draw other noise and
        you get another curve. Fix an input $x$ and take expectations over training samples
        (with $\bar y(x) = \mathbb E[\hat y(x)]$) and over the noise $\varepsilon$ of a new
        target $y = f(x) + \varepsilon$ there, independent of the fit:

        $$\mathbb E\big[(\hat y(x) - y)^2\big]
        = \underbrace{\big(\bar y(x) - f(x)\big)^2}_{\text{bias}^2}
        + \underbrace{\mathbb E\big[(\hat y(x) - \bar y(x))^2\big]}_{\text{variance}}
        + \underbrace{\sigma^2}_{\text{noise}} .$$

        (Expand $\hat y - y = (\hat y - \bar y) + (\bar y - f) - \varepsilon$: the cross terms
        vanish because $\mathbb E[\hat y - \bar y] = 0$ and $\varepsilon$ has mean zero and is
        independent of the fit.)

        For least squares on a fixed design these have exact formulas. With the design
        matrix $\Phi$ ($N \times p$, the columns $1, x, \dots, x^k$ at the training inputs)
        and a row $\phi(x)$ at a new input, $\hat y(x) = \phi(x)\,(\Phi^\top\Phi)^{-1}\Phi^\top y$
        is linear in $y$, so

        $$\bar y(x) = \phi(x)\,(\Phi^\top\Phi)^{-1}\Phi^\top f, \qquad
        \operatorname{Var} \hat y(x) = \sigma^2\, \phi(x)\,(\Phi^\top\Phi)^{-1}\phi(x)^\top .$$

        At the training inputs themselves, $\phi(x_i)(\Phi^\top\Phi)^{-1}\phi(x_i)^\top$ is
        the diagonal of the hat matrix $H = \Phi(\Phi^\top\Phi)^{-1}\Phi^\top$, whose trace
        is $p$; so the variance **averaged over the training inputs is exactly
        $\sigma^2 p / N$**: each parameter costs $\sigma^2/N$.

        We check all of this by experiment: keep the 20 inputs, draw fresh noise 100 times,
        refit each degree each time, and measure the spread and the mean of the fitted
        curves.
        """
    ),
    code(
        """
        REFITS = 100
        bv_degrees = np.arange(1, 10)
        f_train = f(x_train)
        refit_rng = np.random.default_rng(2)
        # predictions[k]: (REFITS, 201) on the grid and (REFITS, 20) at the training inputs
        on_grid = {int(k): np.empty((REFITS, grid.size)) for k in bv_degrees}
        at_train = {int(k): np.empty((REFITS, x_train.size)) for k in bv_degrees}
        for r in range(REFITS):
            y_fresh = f_train + SIGMA * refit_rng.standard_normal(x_train.size)
            for k in bv_degrees:
                fit = linreg.PolynomialRegression(degree=int(k)).fit(x_train, y_fresh)
                on_grid[int(k)][r] = fit.predict(grid)
                at_train[int(k)][r] = fit.predict(x_train)

        bias_sq = np.array([np.mean((on_grid[k].mean(axis=0) - f(grid)) ** 2) for k in on_grid])
        variance = np.array([np.mean(on_grid[k].var(axis=0)) for k in on_grid])
        for k, b2, v in zip(bv_degrees, bias_sq, variance):
            print(f"degree {k}: bias^2 {b2:.5f}   variance {v:.5f}   sum + sigma^2 {b2 + v + NOISE_FLOOR:.4f}")
        """
    ),
    md(
        r"""
        The checks, against the exact formulas computed independently with NumPy's own
        least squares (`np.linalg.lstsq` on the Vandermonde matrix). Monte-Carlo numbers
        carry their own error, so each check allows a few standard errors: for the mean at a
        point, $\sqrt{\operatorname{Var}\hat y(x) / R}$ with $R = 100$ refits; for the
        variance averaged over the training inputs, $N$ times that average is
        $\mathbb E\|H\varepsilon\|^2$ with $\|H\varepsilon\|^2/\sigma^2 \sim \chi^2_p$, whose
        mean over $R$ refits has a relative standard error of $\sqrt{2/(pR)}$.
        """
    ),
    code(
        """
        for k in bv_degrees:
            Phi = np.vander(x_train, int(k) + 1, increasing=True)
            Phi_grid = np.vander(grid, int(k) + 1, increasing=True)
            coef_of_f = np.linalg.lstsq(Phi, f_train, rcond=None)[0]
            exact_mean = Phi_grid @ coef_of_f
            # phi(x) (Phi^T Phi)^{-1} phi(x)^T, from the pseudo-inverse: rows of Phi_grid @ pinv(Phi)
            leverage = np.sum((Phi_grid @ np.linalg.pinv(Phi)) ** 2, axis=1)
            exact_var = NOISE_FLOOR * leverage
            # the mean of the refits is the projection of f, to within 5 standard errors
            mc_mean = on_grid[int(k)].mean(axis=0)
            assert np.all(np.abs(mc_mean - exact_mean) < 5 * np.sqrt(exact_var / REFITS) + 1e-9)
            # averaged over the training inputs, the variance is sigma^2 p / N
            p, n = int(k) + 1, x_train.size
            ratio = at_train[int(k)].var(axis=0, ddof=1).mean() / (NOISE_FLOOR * p / n)
            assert abs(ratio - 1) < 4 * np.sqrt(2 / (p * REFITS)), (k, ratio)
            print(f"degree {k}: variance at the training inputs / (sigma^2 p/N) = {ratio:.3f}"
                  f"  (standard error {np.sqrt(2 / (p * REFITS)):.3f})")
        """
    ),
    md(
        r"""
        A picture of it: 60 of the 100 refits (thin), their mean (thick) and $f$ (dashed).
        The line's refits agree with each other but all miss the curve the same way
        (**bias**); the degree-9 refits are right on average but scatter widely between and
        beyond the training inputs (**variance**); degree 3 has neither problem.
        """
    ),
    code(
        """
        gplots.bias_variance_fits(grid, {f"degree {k}": on_grid[k] for k in (1, 3, 9)}, f(grid))
        """
    ),
    md(
        r"""
        Bias² falls to (almost) zero at degree 3, where the model family contains $f$;
        variance rises with every parameter. (The small bias² left at degrees 3 to 9 is the
        Monte-Carlo error of a mean of 100 refits, about variance / 100.) Their sum plus $\sigma^2$ is the expected
        test error at these inputs, and it has the same U shape as the test curve of
        section 2:
        """
    ),
    code(
        """
        assert bias_sq[2] < 0.01 * bias_sq[0]  # degree 3 contains f
        assert np.all(np.diff(variance) > 0)  # each parameter adds variance
        gplots.bias_variance_curve(bv_degrees, bias_sq, variance, noise=NOISE_FLOOR)
        """
    ),
    md(
        r"""
        **Exercises 3.** (a) Bias² at degree 3 is not exactly zero in the table. Is the model
        biased? (b) Why does the variance of degree 9 explode near $x = \pm 1$ more than in
        the middle? (c) Doubling $N$ (same spread of inputs) changes the variance how, and
        the bias how?
        """
    ),
    # -- 4 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 4 — Learning curves

        A **learning curve** plots the training and test errors against the number of
        training rows $N$, for a fixed model. For least squares whose family contains $f$
        (no bias), the residuals are $(I - H)\varepsilon$, and
        $\mathbb E\,\|(I - H)\varepsilon\|^2 = \sigma^2 \operatorname{tr}(I - H) = \sigma^2(N - p)$,
        so

        $$\mathbb E[\text{training MSE}] = \sigma^2\Big(1 - \frac pN\Big) \quad\text{exactly},
        \qquad \mathbb E[\text{test MSE}] \approx \sigma^2\Big(1 + \frac pN\Big),$$

        the second from section 3 (noise plus a variance of about $\sigma^2 p/N$). The
        training formula is exact for any inputs; the test one is only approximate when the
        test inputs are new ones, and for very small $N$ it is far too low: new inputs then
        often fall beyond the few training points, where the polynomial extrapolates. Both approach
        $\sigma^2$, from either side. A **biased** model approaches $\sigma^2 +
        \text{bias}^2$ instead: more data cannot fix a model that is too simple.

        For the line ($k = 1$) the limit is known exactly. The best line under
        $x \sim \mathcal U[-1, 1]$ is the projection of $f$ onto $\{1, x\}$; since
        $\mathbb E[x^2] = \frac13$, $\mathbb E[x^4] = \frac15$, $\mathbb E[x^6] = \frac17$,
        it is $1 - 3x + 4\cdot\frac{1/5}{1/3}\,x = 1 - \frac35 x$, and its bias² is
        $16\,\mathbb E\big[(x^3 - \frac35 x)^2\big]$, computed here in exact fractions:
        """
    ),
    code(
        """
        E_x2, E_x4, E_x6 = Fraction(1, 3), Fraction(1, 5), Fraction(1, 7)
        line_bias_sq = 16 * (E_x6 - 2 * Fraction(3, 5) * E_x4 + Fraction(3, 5) ** 2 * E_x2)
        print(f"bias^2 of the best line = {line_bias_sq} = {float(line_bias_sq):.6f}")
        """
    ),
    code(
        """
        sizes = np.array([8, 10, 14, 20, 40, 80, 200])
        REPEATS = 20
        curve_rng = np.random.default_rng(3)
        errors = {1: np.zeros((2, sizes.size)), 3: np.zeros((2, sizes.size))}  # [train, test] means
        train_runs = np.zeros((REPEATS, sizes.size))  # degree 3, for the standard errors
        for j, n in enumerate(sizes):
            for r in range(REPEATS):
                x_n, y_n = sample(int(n), curve_rng)
                for k in errors:
                    fit = linreg.PolynomialRegression(degree=k).fit(x_n, y_n)
                    tr = linreg.metrics.mse(y_n, fit.predict(x_n))
                    errors[k][0, j] += tr / REPEATS
                    errors[k][1, j] += linreg.metrics.mse(y_test, fit.predict(x_test)) / REPEATS
                    if k == 3:
                        train_runs[r, j] = tr

        p = 4  # degree 3
        expected_train = NOISE_FLOOR * (1 - p / sizes)
        expected_test = NOISE_FLOOR * (1 + p / sizes)
        standard_error = train_runs.std(axis=0, ddof=1) / np.sqrt(REPEATS)
        print("degree 3, mean training MSE / sigma^2 (1 - p/N):", np.round(errors[3][0] / expected_train, 3))
        assert np.all(np.abs(errors[3][0] - expected_train) < 4 * standard_error)
        assert abs(errors[3][1, -1] / NOISE_FLOOR - 1) < 0.1  # the test error reaches the floor
        line_limit = NOISE_FLOOR + float(line_bias_sq)
        print(f"degree 1 at N = 200: test MSE {errors[1][1, -1]:.4f}, limit sigma^2 + bias^2 = {line_limit:.4f}")
        assert abs(errors[1][1, -1] / line_limit - 1) < 0.1
        gplots.learning_curve(sizes, errors[3][0], errors[3][1], noise_floor=NOISE_FLOOR,
                              expected=(expected_train, expected_test),
                              title="Learning curve of degree 3 (20 repeats per size)")
        """
    ),
    md("The line's learning curve flattens far above the noise floor, at $\\sigma^2 + 64/175$:"),
    code(
        """
        gplots.learning_curve(sizes, errors[1][0], errors[1][1], noise_floor=NOISE_FLOOR,
                              title="Learning curve of degree 1: more data cannot remove bias")
        """
    ),
    md(
        r"""
        Those curves used what a practitioner never has: fresh samples from the truth, 20 per
        size. With one data set, `linreg.model_selection.learning_curve` estimates the same
        curves by cross-validation: for each of 5 folds it trains on the first $n$ rows of
        the other folds' rows and scores on the held-out fold. With 250 points (so at most
        200 training rows), the held-out error of degree 3 must end near $\sigma^2$ and the
        line's near $\sigma^2 + 64/175$:
        """
    ),
    code(
        """
        x_lc, y_lc = sample(250, np.random.default_rng(7))
        lc_sizes = [8, 10, 14, 20, 40, 80, 200]
        lc3 = learning_curve(linreg.PolynomialRegression(degree=3), x_lc, y_lc, train_sizes=lc_sizes, cv=5)
        lc1 = learning_curve(linreg.PolynomialRegression(degree=1), x_lc, y_lc, train_sizes=lc_sizes, cv=5)
        print("training rows:         ", lc3.train_sizes)
        print("degree 3, held-out MSE:", np.round(lc3.test_scores.mean(axis=1), 4))
        print("degree 1, held-out MSE:", np.round(lc1.test_scores.mean(axis=1), 4))
        assert abs(lc3.test_scores[-1].mean() / NOISE_FLOOR - 1) < 0.15
        assert abs(lc1.test_scores[-1].mean() / line_limit - 1) < 0.1
        selection_plots.learning_curve(lc3, title="Learning curve of degree 3 from one data set of 250 points")
        """
    ),
    md(
        r"""
        **Exercises 4.** (a) Below which $N$ can degree 3 not be fitted at all? (b) Your
        model's training and test errors are both high and close together. More data, or a
        more flexible model? (c) They are far apart, training low: which then?
        """
    ),
    # -- 5 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 5 — Ridge: a penalty on large weights

        Overfitting showed up as huge, finely balanced coefficients. **Ridge regression**
        adds their size to the loss:

        $$L_\alpha(W, b) = \frac1N \sum_i (x_i W + b - y_i)^2 + \alpha \|W\|^2 ,$$

        with the bias left free. The penalty's gradient is $2\alpha W$, so the backward pass
        of the first notebook gains one term, and the update shrinks the weights a little
        every step ("weight decay"):

        $$\frac{\partial L_\alpha}{\partial W} = \frac2N X^\top r + 2\alpha W, \qquad
        W \leftarrow (1 - 2\eta\alpha)\,W - \eta\,\frac2N X^\top r .$$

        Penalties compare weights, so the features should share a scale: we use the
        degree-9 features, standardized with the training rows' means and standard
        deviations. First the gradient, against a central difference of the loss:
        """
    ),
    code(
        """
        features9 = linreg.PolynomialFeatures(degree=9).fit(x_train.reshape(-1, 1))
        P_train = features9.transform(x_train.reshape(-1, 1))
        mu, sd = P_train.mean(axis=0), P_train.std(axis=0)


        def standardized(x):
            \"\"\"Degree-9 features of x, scaled by the training rows' statistics.\"\"\"
            return (features9.transform(np.reshape(x, (-1, 1))) - mu) / sd


        Z_train, Z_test = standardized(x_train), standardized(x_test)
        alpha = 0.01
        probe = linreg.LinearModel(n_features=9, init="random", seed=0)
        grads = probe.backward(Z_train, y_train, probe.forward(Z_train), alpha=alpha)
        h, j = 1e-6, 4
        W0 = probe.W.copy()
        probe.W = W0 + h * np.eye(9)[j]
        up = probe.loss(probe.forward(Z_train), y_train, alpha=alpha)
        probe.W = W0 - h * np.eye(9)[j]
        down = probe.loss(probe.forward(Z_train), y_train, alpha=alpha)
        probe.W = W0
        print(f"dL/dW_{j}: backward {grads.dW[j]:.8f}, central difference {(up - down) / (2 * h):.8f}")
        assert abs(grads.dW[j] - (up - down) / (2 * h)) < 1e-6
        """
    ),
    md(
        r"""
        **The closed form.** Setting $\partial L_\alpha / \partial b = 0$ gives
        $b = \bar y - \bar x W$; substituting it centres the data ($X_c = X - \bar x$,
        $y_c = y - \bar y$), and $\partial L_\alpha / \partial W = 0$ becomes

        $$\Big(\tfrac1N X_c^\top X_c + \alpha I\Big) W = \tfrac1N X_c^\top y_c .$$

        For any $\alpha > 0$ the matrix is positive definite, so the solution is unique even
        when $X_c^\top X_c$ is singular. We solve it with `np.linalg.solve` and compare with
        the package's exact solver:
        """
    ),
    code(
        """
        Zc, yc = Z_train - Z_train.mean(axis=0), y_train - y_train.mean()
        N = Z_train.shape[0]
        W_closed = np.linalg.solve(Zc.T @ Zc / N + alpha * np.eye(9), Zc.T @ yc / N)
        b_closed = y_train.mean() - Z_train.mean(axis=0) @ W_closed
        ridge = linreg.LinearRegression(solver="exact", alpha=alpha).fit(Z_train, y_train)
        print("closed form:", W_closed)
        print("package:    ", ridge.coef_)
        assert np.allclose(ridge.coef_, W_closed, rtol=1e-9, atol=1e-12)
        assert abs(ridge.intercept_ - b_closed) < 1e-12
        ols9 = linreg.LinearRegression(solver="exact").fit(Z_train, y_train)
        print(f"|W| without penalty {np.linalg.norm(ols9.coef_):.1f}, with alpha = {alpha}: {np.linalg.norm(ridge.coef_):.2f}")
        print(f"test MSE without penalty {mse(ols9, Z_test, y_test):.4f}, with: {mse(ridge, Z_test, y_test):.4f}")
        assert mse(ridge, Z_test, y_test) < mse(ols9, Z_test, y_test)
        """
    ),
    md(
        r"""
        **Ridge and the eigenvalues.** The first notebook found that gradient descent on the
        MSE is governed by the Hessian $H = \frac2N X_c^\top X_c$ (after the intercept is
        eliminated): it is stable for $\eta < \eta_{\max} = 2/\lambda_{\max}$, and the
        slowest direction shrinks its error by $|1 - \eta\lambda_{\min}|$ a step, so the
        number of steps grows like the **condition number** $\kappa = \lambda_{\max} /
        \lambda_{\min}$ (the long narrow valley). The penalty adds $2\alpha I$ to the
        Hessian, which shifts **every eigenvalue up by $2\alpha$** and keeps the
        eigenvectors:

        $$\lambda_i \to \lambda_i + 2\alpha, \qquad
        \kappa(\alpha) = \frac{\lambda_{\max} + 2\alpha}{\lambda_{\min} + 2\alpha}, \qquad
        \eta_{\max}(\alpha) = \frac{2}{\lambda_{\max} + 2\alpha}.$$

        Read these carefully: ridge **collapses the condition number** (a tiny
        $\lambda_{\min}$ becomes at least $2\alpha$), but it **lowers $\eta_{\max}$
        slightly**, since $\lambda_{\max}$ rises too. What it buys is not a larger step
        but a valley that is no longer narrow: at the step $1/\lambda_{\max}$, the slowest
        direction now shrinks by $1 - 1/\kappa(\alpha)$ a step instead of $1 - 1/\kappa$.
        `linreg.stability` computes these numbers for the penalized objective:
        """
    ),
    code(
        """
        lam = np.linalg.eigvalsh(2 / N * Zc.T @ Zc)
        print(" alpha     lambda_min   lambda_max   kappa          eta_max   steps to shrink the slowest error 1e6-fold")
        for a in (0.0, 1e-4, 1e-3, 1e-2, 1e-1):
            s = linreg.stability(Zc, fit_intercept=False, alpha=a)
            kappa = (lam[-1] + 2 * a) / (lam[0] + 2 * a)
            assert np.isclose(s.condition_number, kappa, rtol=1e-6)
            assert np.isclose(s.max_stable_learning_rate, 2 / (lam[-1] + 2 * a), rtol=1e-12)
            steps = np.log(1e6) / -np.log1p(-1 / kappa)
            print(f"{a:6g}  {s.lambda_min:11.3g}  {s.lambda_max:11.4f}  {kappa:13.4g}  {s.max_stable_learning_rate:.5f}   {steps:.3g}")
        """
    ),
    md(
        r"""
        So gradient descent on the unpenalized degree-9 problem would need some $10^8$
        steps to converge, and with $\alpha = 0.1$ a few hundred. The package's gradient
        descent, at its automatic step $1/\lambda_{\max}$, reaches the exact ridge solution:
        """
    ),
    code(
        """
        gd_ridge = linreg.LinearRegression(solver="gd", learning_rate="auto", epochs=2000, alpha=0.1).fit(Z_train, y_train)
        exact_ridge = linreg.LinearRegression(solver="exact", alpha=0.1).fit(Z_train, y_train)
        print(f"largest weight difference from the exact solution: {np.max(np.abs(gd_ridge.coef_ - exact_ridge.coef_)):.2e}")
        assert np.allclose(gd_ridge.coef_, exact_ridge.coef_, atol=1e-9)
        """
    ),
    md(
        r"""
        **Exercises 5.** (a) Show that the ridge solution in the eigenbasis of $X_c^\top X_c$
        multiplies the least-squares component along eigenvalue $\lambda_i$ (of $H$) by
        $\lambda_i / (\lambda_i + 2\alpha)$. (b) Why is the intercept not penalized? (c) What
        does ridge converge to as $\alpha \to \infty$?
        """
    ),
    # -- 6 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 6 — Lasso: the L1 penalty, soft-thresholding and sparsity

        Replace the squared norm by the absolute values, $L = \text{MSE} + 2\alpha\|W\|_1$
        (the package's `l1_ratio=1`, scikit-learn's `Lasso(alpha)`). $|w|$ has no derivative
        at 0, so gradient descent needs one more idea: the **proximal step**. Take the
        gradient step of the smooth MSE to get $v$, then solve, for each weight alone,

        $$\min_w\ \tfrac12 (w - v)^2 + t|w|, \qquad t = 2\eta\alpha .$$

        For $w > 0$ the derivative $w - v + t$ vanishes at $w = v - t$, valid if $v > t$;
        symmetrically $w = v + t$ if $v < -t$; otherwise the minimum is the kink, $w = 0$.
        That is **soft-thresholding**:

        $$S_t(v) = \operatorname{sign}(v)\,\max(|v| - t,\ 0) .$$

        Weights whose gradient step lands within $t$ of zero become *exactly* zero. Gradient
        step plus $S_t$ is **ISTA** (proximal gradient descent). Checking $S_t$ against a
        brute-force minimization on a fine grid:
        """
    ),
    code(
        """
        v = np.array([-2.0, -0.3, 0.0, 0.25, 0.7, 3.0])
        t = 0.5
        w_grid = np.linspace(-4, 4, 80001)  # step 1e-4
        brute = np.array([w_grid[np.argmin(0.5 * (w_grid - vi) ** 2 + t * np.abs(w_grid))] for vi in v])
        print("v          ", v)
        print("S_t(v)     ", soft_threshold(v, t))
        print("brute force", brute)
        assert np.allclose(soft_threshold(v, t), brute, atol=1e-4)
        """
    ),
    md(
        r"""
        A problem with a known sparse truth: 8 features, of which only 3 matter
        ($W = (3, -2, 0, 0, 1.5, 0, 0, 0)$). The lasso's exact solver (coordinate descent to a
        duality gap at rounding level) and ISTA with FISTA's acceleration should agree, and
        the solution must satisfy the **optimality (KKT) conditions** of the L1 problem:
        with $g = \frac2N X^\top r$ the gradient of the MSE at the solution,

        $$g_j = -2\alpha\,\operatorname{sign}(W_j) \ \text{ if } W_j \ne 0, \qquad
        |g_j| \le 2\alpha \ \text{ if } W_j = 0 .$$
        """
    ),
    code(
        """
        sparse = linreg.make_regression(n_samples=100, n_features=8, weights=[3, -2, 0, 0, 1.5, 0, 0, 0],
                                        bias=1.0, noise=1.0, x_range=(-1.0, 1.0), seed=4)
        Xs, ys = sparse.X, sparse.y
        lasso_alpha = 0.05
        exact = linreg.LinearRegression(solver="exact", alpha=lasso_alpha, l1_ratio=1.0).fit(Xs, ys)
        ista = linreg.LinearRegression(solver="gd", learning_rate="auto", epochs=3000, alpha=lasso_alpha,
                                       l1_ratio=1.0, acceleration="fista").fit(Xs, ys)
        print("true     ", np.array(sparse.weights))
        print("exact    ", exact.coef_)
        print("FISTA    ", ista.coef_)
        g = 2 / len(ys) * Xs.T @ (exact.predict(Xs) - ys)
        nonzero = exact.coef_ != 0
        assert np.allclose(g[nonzero], -2 * lasso_alpha * np.sign(exact.coef_[nonzero]), atol=1e-8)
        assert np.all(np.abs(g[~nonzero]) <= 2 * lasso_alpha + 1e-12)
        assert np.array_equal(nonzero, np.array(sparse.weights) != 0)  # the true support, exactly
        assert np.array_equal(ista.coef_ != 0, nonzero) and np.allclose(ista.coef_, exact.coef_, atol=1e-6)
        print("KKT holds; the zero set is the true one; FISTA agrees")
        """
    ),
    md(
        r"""
        **The path.** Where does the lasso start? At $W = 0$ the KKT conditions read
        $|\frac2N X_{c,j}^\top y_c| \le 2\alpha$ for all $j$, so all weights are zero exactly
        when $\alpha \ge \alpha_{\max} = \max_j |X_{c,j}^\top y_c| / N$. Below it, weights
        enter one at a time. `linreg.regularization_path` solves on a grid from
        $\alpha_{\max}$ down, each solution warm-starting the next:
        """
    ),
    code(
        """
        path = linreg.regularization_path(Xs, ys, l1_ratio=1.0, n_alphas=60)
        Xsc, ysc = Xs - Xs.mean(axis=0), ys - ys.mean()
        alpha_max = np.max(np.abs(Xsc.T @ ysc)) / len(ys)
        print(f"alpha_max = {alpha_max:.5f}, first alpha of the path {path.alphas[0]:.5f}")
        print("nonzero weights along the path:", path.n_nonzero[::6])
        assert np.isclose(path.alphas[0], alpha_max, rtol=1e-10) and path.n_nonzero[0] == 0
        plot_regularization_path(path)
        """
    ),
    md(
        r"""
        The three true features leave zero first and stay far from it; the five useless
        ones only enter when the penalty is weak enough to let the noise in.

        **Exercises 6.** (a) Why does an L2 penalty never give exact zeros? (b) ISTA's
        threshold is $t = 2\eta\alpha$: why does it scale with the step? (c) Two features are
        identical copies. What does the lasso do with them, and what does ridge do?
        """
    ),
    # -- 7 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 7 — Choosing the degree and $\alpha$ by cross-validation

        The test set may be used **once**, at the end, to report the chosen model's error;
        anything chosen by looking at it makes that report optimistic. Choices are made on
        the training data alone, by **k-fold cross-validation**: shuffle the $N$ rows, cut
        them into $k$ folds, and for each fold fit on the other $k-1$ and score on it. The
        mean of the $k$ scores estimates the test error of the procedure; their spread says
        how much to trust differences.

        The loop is short enough to write out once. The shuffle is NumPy's legacy
        `RandomState(seed)`, so that the folds are the rows `linreg.model_selection.KFold`
        (and scikit-learn's `KFold(shuffle=True, random_state=seed)`) deal; the first
        $N \bmod k$ folds get one row more, as `np.array_split` cuts them:
        """
    ),
    code(
        """
        def kfold(n, k, seed):
            \"\"\"k (train, validation) index pairs covering 0..n-1, shuffled by the seed.\"\"\"
            folds = np.array_split(np.random.RandomState(seed).permutation(n), k)
            return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


        def cv_mse(fit_and_predict, x, y, k=5, seed=0):
            \"\"\"The k validation MSEs of fit_and_predict(x_fit, y_fit, x_val).\"\"\"
            return np.array([linreg.metrics.mse(y[val], fit_and_predict(x[tr], y[tr], x[val]))
                             for tr, val in kfold(len(y), k, seed)])


        splits = kfold(20, 5, seed=0)
        assert sorted(np.concatenate([val for _, val in splits]).tolist()) == list(range(20))  # a partition
        assert all(np.intersect1d(tr, val).size == 0 for tr, val in splits)


        def polynomial(k):
            return lambda xf, yf, xv: linreg.PolynomialRegression(degree=int(k)).fit(xf, yf).predict(xv)


        cv_degrees = np.arange(1, 9)
        by_hand = np.array([cv_mse(polynomial(k), x_train, y_train) for k in cv_degrees])
        print("one 5-fold split, CV MSE by degree:", np.round(by_hand.mean(axis=1), 3),
              f"-> degree {cv_degrees[np.argmin(by_hand.mean(axis=1))]}")

        # The package's cross_validate runs the same loop: the same folds, the same numbers.
        package = np.array([cross_validate(linreg.PolynomialRegression(degree=int(k)), x_train, y_train,
                                           cv=5, seed=0).test_score for k in cv_degrees])
        assert np.allclose(by_hand, package, rtol=1e-9, atol=0)
        print("linreg.model_selection.cross_validate gives the same fold scores")
        """
    ),
    md(
        r"""
        From here on the package runs the loop. One split of 20 rows into folds of 4 is
        itself a noisy measurement: a different shuffle can pick another degree. The cure
        is cheap on small data: **repeat** the k-fold split with 10 different shuffles
        (`validation_curve`, seeds 0 to 9) and average all 50 scores. Degrees 3 and 4 then
        come out within a hair of each other, far closer than their standard error. The
        usual tie-break is the **one-standard-error rule**: take the simplest model whose
        CV error is within one standard error of the best, since the extra parameter has
        not shown that it helps.
        """
    ),
    code(
        """
        def repeated(estimator, X, y, param_name, values, repeats):
            \"\"\"validation_curve over `repeats` shuffles, the folds' scores side by side.\"\"\"
            runs = [validation_curve(estimator, X, y, param_name, values, cv=5, seed=s) for s in range(repeats)]
            return ValidationCurve(param_name, list(values), np.hstack([r.train_scores for r in runs]),
                                   np.hstack([r.test_scores for r in runs]), "mse")


        degree_curve = repeated(linreg.PolynomialRegression(), x_train, y_train, "degree", cv_degrees.tolist(), 10)
        cv_mean = degree_curve.test_scores.mean(axis=1)
        cv_se = degree_curve.test_scores.std(axis=1) / np.sqrt(degree_curve.test_scores.shape[1])
        best = degree_curve.best_index
        cv_degree = int(cv_degrees[np.flatnonzero(cv_mean <= cv_mean[best] + cv_se[best])[0]])
        print("10 x 5-fold CV MSE by degree:", np.round(cv_mean, 3), " standard errors:", np.round(cv_se, 3))
        print(f"lowest mean at degree {cv_degrees[best]}; one-standard-error rule: degree {cv_degree}")
        assert cv_degrees[best] in (3, 4)
        assert cv_degree == 3  # the true degree, found without the test set
        selection_plots.validation_curve(degree_curve, title="Choosing the degree: 10 x 5-fold cross-validation")
        """
    ),
    md(
        r"""
        Now $\alpha$ for ridge on the degree-9 features, on a log grid. Anything that learns
        from data, here the standardization of the features, must be redone inside each
        fold from its training rows only. `LinearRegression(standardize=True)` does exactly
        that in its `fit`, so handing it the raw degree-9 features to `validation_curve`
        standardizes fold by fold. Written out for one $\alpha$, to check:
        """
    ),
    code(
        """
        def ridge9(alpha):
            def fit_and_predict(xf, yf, xv):
                Pf = features9.transform(xf.reshape(-1, 1))
                m, s = Pf.mean(axis=0), Pf.std(axis=0)
                model = linreg.LinearRegression(solver="exact", alpha=alpha).fit((Pf - m) / s, yf)
                return model.predict((features9.transform(xv.reshape(-1, 1)) - m) / s)
            return fit_and_predict


        ridge_std = linreg.LinearRegression(solver="exact", standardize=True)
        assert np.allclose(cv_mse(ridge9(1e-3), x_train, y_train),
                           cross_validate(linreg.LinearRegression(solver="exact", standardize=True, alpha=1e-3),
                                          P_train, y_train, cv=5, seed=0).test_score, rtol=1e-8)

        alphas = np.logspace(-6, 1, 12)
        alpha_curve = repeated(ridge_std, P_train, y_train, "alpha", alphas.tolist(), 5)
        alpha_cv = float(alphas[alpha_curve.best_index])
        print(f"alpha chosen by 5 x 5-fold cross-validation: {alpha_cv:.3g}")
        assert 1e-5 < alpha_cv < 1  # neither no penalty nor the constant model
        selection_plots.validation_curve(alpha_curve, title="Choosing the ridge penalty of degree 9")
        """
    ),
    md(
        r"""
        Only now, with both choices made, do we look at the test set, once. The ridge model
        is refitted on all 20 training rows with the chosen $\alpha$:
        """
    ),
    code(
        """
        final_degree = linreg.metrics.mse(y_test, linreg.PolynomialRegression(degree=cv_degree).fit(x_train, y_train).predict(x_test))
        final_ridge = linreg.metrics.mse(y_test, ridge9(alpha_cv)(x_train, y_train, x_test))
        plain9 = test_mse[8]
        print(f"test MSE: degree {cv_degree} (CV) {final_degree:.4f};  degree 9 + ridge (CV alpha) {final_ridge:.4f};"
              f"  degree 9 unpenalized {plain9:.4f};  noise floor {NOISE_FLOOR}")
        assert final_degree < 1.5 * NOISE_FLOOR and final_ridge < plain9
        """
    ),
    md(
        r"""
        **Exercises 7.** (a) Why must the standardization be fitted inside each fold? (b) What
        is leave-one-out cross-validation, and what is $k$ then? (c) Someone tries 50 degrees
        and reports the smallest test error. Why is that number too good?
        """
    ),
    # -- 8 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 8 — Early stopping as regularization

        Gradient descent from $W = 0$ on a least-squares problem has a closed form in the
        eigenbasis of the Hessian $H = \frac2N Z_c^\top Z_c$ (eigenvalues $\lambda_i$,
        eigenvectors $u_i$). With $g_0 = -\frac2N Z_c^\top y_c$ the gradient at the start,
        each step multiplies the error along $u_i$ by $(1 - \eta\lambda_i)$, so after $t$
        steps

        $$W_t = -\sum_i \frac{1 - (1 - \eta\lambda_i)^t}{\lambda_i}\,u_i u_i^\top g_0 .$$

        Directions with large $\lambda_i$ (the smooth, well-determined shapes) are learned
        in a few steps; those with tiny $\lambda_i$ (the wiggles that fit noise) take
        $\sim 1/(\eta\lambda_i)$ steps. Stopping at step $t$ keeps only directions with
        $\lambda_i \gtrsim 1/(\eta t)$, much as ridge's factor $\lambda_i / (\lambda_i +
        2\alpha)$ does for $\lambda_i \gtrsim 2\alpha$: **early stopping acts like ridge with
        $\alpha \approx 1/(2\eta t)$**.

        We train degree 12 on the 20 points (centred, so the intercept drops out) and watch
        a **validation set**: 200 fresh points that are *not* the test set.
        """
    ),
    code(
        """
        features12 = linreg.PolynomialFeatures(degree=12).fit(x_train.reshape(-1, 1))
        P12 = features12.transform(x_train.reshape(-1, 1))
        m12, s12 = P12.mean(axis=0), P12.std(axis=0)
        Z12 = (P12 - m12) / s12
        x_val, y_val = sample(200, np.random.default_rng(5))
        Z12_val = (features12.transform(x_val.reshape(-1, 1)) - m12) / s12
        y_mean = y_train.mean()
        with warnings.catch_warnings():
            # 20,000 epochs are far from the unpenalized optimum (kappa ~ 1e9): the run is
            # meant to be stopped early, so the ran-out-of-epochs warning is expected.
            warnings.simplefilter("ignore", linreg.ConvergenceWarning)
            long_run = linreg.LinearRegression(solver="gd", learning_rate="auto", epochs=20000, fit_intercept=False)
            long_run.fit(Z12, y_train - y_mean, X_val=Z12_val, y_val=y_val - y_mean)
        hist = long_run.history_
        best_epoch = int(np.argmin(hist.val_loss))
        eta = long_run.learning_rate_
        print(f"eta = {eta:.4f}; validation MSE lowest at epoch {best_epoch}: {hist.val_loss[best_epoch]:.4f};"
              f" at epoch 20000: {hist.val_loss[-1]:.4f}")

        # The iterates are those of the closed form above.
        Zc12 = Z12 - Z12.mean(axis=0)  # already centred up to rounding
        lam12, U12 = np.linalg.eigh(2 / 20 * Zc12.T @ Zc12)
        g0 = -2 / 20 * Zc12.T @ (y_train - y_mean)
        for t_check in (10, best_epoch, 20000):
            factor = -np.expm1(t_check * np.log1p(-eta * lam12)) / lam12
            W_formula = -U12 @ (factor * (U12.T @ g0))
            assert np.allclose(hist.W[t_check], W_formula, rtol=1e-6, atol=1e-8)
        assert 10 < best_epoch < 5000 and hist.val_loss[-1] > 2 * hist.val_loss[best_epoch]
        plots.loss_curve(hist, title="Degree 12")
        """
    ),
    md(
        r"""
        The training loss keeps falling; the validation loss turns around after a few
        hundred epochs. **Early stopping** keeps the parameters of the best validation epoch,
        which we just read off `history_.val_loss` by hand. The package does it for us, and
        without running all 20,000 epochs: `early_stopping=True` stops once the validation
        loss has not improved for `n_iter_no_change` epochs (the *patience*) and puts back
        the best epoch's parameters (`best_epoch_`). With a patience of 200 it must find the
        same epoch and the same weights as the long run:
        """
    ),
    code(
        """
        stopper = linreg.LinearRegression(solver="gd", learning_rate="auto", epochs=20000, fit_intercept=False,
                                          early_stopping=True, n_iter_no_change=200)
        stopper.fit(Z12, y_train - y_mean, X_val=Z12_val, y_val=y_val - y_mean)
        print(f"early stopping: best epoch {stopper.best_epoch_}, stopped after {stopper.n_iter_} epochs"
              f" ({stopper.stop_reason_})")
        assert stopper.stop_reason_ == "early_stopping" and stopper.best_epoch_ == best_epoch
        assert stopper.n_iter_ == best_epoch + 200
        assert np.array_equal(stopper.coef_, hist.W[best_epoch])  # the same iterates, bit for bit
        """
    ),
    md(
        r"""
        Compared with ridge at $\alpha = 1/(2\eta t)$, on the test set:
        """
    ),
    code(
        """
        W_stop = stopper.coef_
        Z12_test = (features12.transform(x_test.reshape(-1, 1)) - m12) / s12
        stopped_mse = linreg.metrics.mse(y_test, Z12_test @ W_stop + y_mean)
        alpha_equiv = 1 / (2 * eta * best_epoch)
        ridge12 = linreg.LinearRegression(solver="exact", alpha=alpha_equiv).fit(Z12, y_train)
        final12 = linreg.metrics.mse(y_test, Z12_test @ hist.W[-1] + y_mean)
        print(f"test MSE: stopped at epoch {best_epoch} {stopped_mse:.4f};  ridge alpha = {alpha_equiv:.2e}"
              f" {mse(ridge12, Z12_test, y_test):.4f};  after 20,000 epochs {final12:.4f}")
        assert stopped_mse < final12 and mse(ridge12, Z12_test, y_test) < final12
        assert 0.5 < stopped_mse / mse(ridge12, Z12_test, y_test) < 2
        """
    ),
    md(
        r"""
        **Exercises 8.** (a) Why must the validation set differ from the test set? (b) Early
        stopping's "penalty" depends on the learning rate. How, and what does that mean if
        you change $\eta$? (c) From the formula for $W_t$: what does gradient descent from
        zero converge to when $H$ is singular?
        """
    ),
    # -- 9 --------------------------------------------------------------------------------------
    md(
        r"""
        ## 9 — Learning-rate schedules and momentum

        **Schedules.** A mini-batch gradient is the true gradient plus noise. With a
        constant step, SGD does not converge: near the optimum the noise keeps kicking it
        about, in a ball whose size grows with $\eta$. Shrinking the step removes the
        noise; the classic conditions (Robbins and Monro) are
        $\sum_t \eta_t = \infty$ (steps can still travel any distance) and
        $\sum_t \eta_t^2 < \infty$ (the noise they inject adds up to a finite amount).
        Common schedules, with $t$ the epoch:

        - constant: $\eta_t = \eta_0$;
        - inverse scaling: $\eta_t = \eta_0 / (1 + t/\tau)$, which meets both conditions;
        - step decay: $\eta_t = \eta_0 \cdot \gamma^{\lfloor t / s \rfloor}$, halving every $s$
          epochs for $\gamma = \frac12$.

        **Momentum** (heavy ball) keeps a running direction, $v \leftarrow \mu v + g$,
        $\theta \leftarrow \theta - \eta v$. On a steady slope $v \to g/(1-\mu)$: the effective
        step is $\eta/(1-\mu)$. Its real gain is on ill-conditioned problems, below.

        The package takes the schedule as `lr_schedule`: `"invscaling"` is
        $\eta_0/(k+1)^{p}$ (with `power_t` $= p = 1$ it is the inverse scaling above with
        $\tau = 1$) and `"step"` is step decay (`decay_every`, `decay_factor`). First, the
        package's step sizes against the formulas written out:
        """
    ),
    code(
        """
        eta0 = 0.2
        written = {
            "constant": lambda t: eta0,
            "invscaling": lambda t: eta0 / (1 + t),
            "step": lambda t: eta0 * 0.5 ** (t // 5),
        }
        package_schedules = {
            "constant": Schedule("constant"),
            "invscaling": Schedule("invscaling", power_t=1.0),
            "step": Schedule("step", decay_every=5, decay_factor=0.5),
        }
        for name, schedule in package_schedules.items():
            assert all(np.isclose(schedule.rate(eta0, t), written[name](t), rtol=1e-15) for t in range(40)), name
        print("eta_t, epochs 0..11:")
        for name, schedule in package_schedules.items():
            print(f"  {name:10s}", np.round([schedule.rate(eta0, t) for t in range(12)], 4))
        """
    ),
    md(
        r"""
        Then mini-batch SGD (batches of 10) on a well-conditioned problem with three
        features, each schedule a `LinearRegression(solver="sgd", ...)`; `history_.loss`
        is the training MSE after every epoch, from which we subtract the optimum's $L^*$:
        """
    ),
    code(
        """
        lin = linreg.make_regression(n_samples=1000, n_features=3, weights=[2.0, -1.0, 0.5], bias=1.0,
                                     noise=1.0, x_range=(-1.0, 1.0), seed=6)
        optimum = linreg.LinearRegression(solver="exact").fit(lin.X, lin.y)
        L_star = mse(optimum, lin.X, lin.y)


        def sgd(learning_rate=eta0, momentum=0.0, **schedule):
            \"\"\"40 epochs of mini-batch SGD; the excess training loss L - L* after each epoch.\"\"\"
            model = linreg.LinearRegression(solver="sgd", learning_rate=learning_rate, epochs=40, batch_size=10,
                                            momentum=momentum, seed=0, **schedule).fit(lin.X, lin.y)
            return model.history_.loss - L_star


        runs = {
            "constant η = 0.2": sgd(),
            "inverse scaling η0 / (1 + t)": sgd(lr_schedule="invscaling", power_t=1.0),
            "step decay: halved every 5 epochs": sgd(lr_schedule="step", decay_every=5, decay_factor=0.5),
            "step decay + momentum 0.9 (η × 0.1)": sgd(eta0 * 0.1, momentum=0.9, lr_schedule="step",
                                                       decay_every=5, decay_factor=0.5),
        }
        for name, excess in runs.items():
            print(f"{name:38s} excess loss after 40 epochs: {excess[-1]:.2e}")
        constant_floor = np.median(runs["constant η = 0.2"][20:])
        assert runs["inverse scaling η0 / (1 + t)"][-1] < constant_floor / 5
        assert runs["step decay: halved every 5 epochs"][-1] < constant_floor / 100
        gplots.loss_curves(runs, title="SGD (batches of 10): learning-rate schedules",
                           ylabel="excess training MSE L − L* (log scale)")
        """
    ),
    md(
        r"""
        The constant step stalls at a noise floor; each decaying schedule keeps going down.
        Momentum at the same *effective* step ($0.1\eta/(1 - 0.9) = \eta$) behaves like the
        run without it: on this well-conditioned problem it changes little, since the
        gradient noise is averaged over about $1/(1-\mu)$ steps either way.

        **Momentum on an ill-conditioned problem.** The first notebook's data ($x$ in
        $[0, 10)$, unscaled) make a long, narrow valley. For a quadratic, heavy-ball
        momentum with $\eta = 4/(\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}})^2$ and
        $\mu = \big(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\big)^2$ shrinks the error by
        about $\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}$ a step instead of plain gradient
        descent's best $\frac{\kappa - 1}{\kappa + 1}$: steps grow like $\sqrt\kappa$
        instead of $\kappa$.
        (In the eigenbasis each direction follows $e_{t+1} = (1 + \mu - \eta\lambda)\,e_t - \mu\, e_{t-1}$,
        a linear recurrence that is stable exactly when $0 < \eta\lambda < 2(1 + \mu)$: momentum
        may step beyond plain gradient descent's $\eta_{\max} = 2/\lambda_{\max}$, and this
        $\eta$ does.)
        """
    ),
    code(
        """
        first = linreg.make_regression(n_samples=500, n_features=1, weights=3.0, bias=2.0, noise=1.0, seed=0)
        st = linreg.stability(first.X)
        kappa, lmax, lmin = st.condition_number, st.lambda_max, st.lambda_min
        L_first = mse(linreg.LinearRegression(solver="exact").fit(first.X, first.y), first.X, first.y)
        eta_hb = 4 / (np.sqrt(lmax) + np.sqrt(lmin)) ** 2
        mu_hb = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", linreg.ConvergenceWarning)  # plain GD stops short on purpose
            plain = linreg.LinearRegression(solver="gd", learning_rate=2 / (lmax + lmin), epochs=300).fit(first.X, first.y)
        # Heavy ball is stable for eta * lambda_max < 2 (1 + mu), beyond plain GD's eta_max = 2 / lambda_max.
        assert eta_hb * lmax < 2 * (1 + mu_hb) and eta_hb > st.max_stable_learning_rate
        with warnings.catch_warnings():
            # The package's StabilityWarning compares eta with plain GD's eta_max and does not
            # (yet) allow for momentum's wider limit, so it would cry wolf here.
            warnings.simplefilter("ignore", linreg.StabilityWarning)
            heavy = linreg.LinearRegression(solver="gd", learning_rate=eta_hb, momentum=mu_hb, epochs=300).fit(first.X, first.y)
        print(f"kappa = {kappa:.1f}; plain GD contracts {(kappa - 1) / (kappa + 1):.4f} a step,"
              f" heavy ball {(np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1):.4f}")
        plain_excess, heavy_excess = plain.history_.final_loss - L_first, heavy.history_.final_loss - L_first
        print(f"excess loss after 300 epochs: plain {plain_excess:.2e}, momentum {heavy_excess:+.1e} (zero to rounding)")
        assert abs(heavy_excess) < 1e-12 < 1e-3 < plain_excess
        gplots.loss_curves(
            # excess losses, floored at 1e-16: below it is rounding, and a log axis cannot show 0
            {"gradient descent, η = 2/(λmax + λmin)": np.maximum(plain.history_.loss - L_first, 1e-16),
             f"heavy ball, μ = {mu_hb:.3f}": np.maximum(heavy.history_.loss - L_first, 1e-16)},
            title=f"The first notebook's valley (κ = {kappa:.0f}): momentum", ylabel="excess training MSE (log scale)")
        """
    ),
    md(
        r"""
        **Exercises 9.** (a) Does $\eta_t = \eta_0 / (1 + t)^2$ satisfy the Robbins–Monro
        conditions? What goes wrong? (b) Why does full-batch gradient descent need no
        schedule on this problem? (c) Why does the heavy-ball loss first rise above where it
        started before it falls?
        """
    ),
    # -- 10 -------------------------------------------------------------------------------------
    md(
        r"""
        ## 10 — 0.876 against 1.107, explained

        The first notebook fitted $y = 3x + 2 + \varepsilon$ ($\sigma = 1$) on $N = 500$
        points and found a training MSE of 0.876, then 1.107 on 500 fresh samples. Is that
        overfitting?

        **What theory predicts.** For least squares with $p$ parameters whose family
        contains the truth, section 4 gave $\mathbb E[\text{training MSE}] = \sigma^2(1 -
        p/N)$ and $\mathbb E[\text{test MSE}] \approx \sigma^2(1 + p/N)$. Here $p = 2$
        ($W$ and $b$), $N = 500$: about **0.996 and 1.004**, a gap of $2p\sigma^2/N = 0.008$.
        The observed gap, 0.23, is thirty times larger, so the fit's optimism is not the
        story.

        **What the noise does.** Each MSE is an average of 500 squared noises (plus the
        fit's tiny error). A mean of $N$ values of $\varepsilon^2$ has standard deviation
        $\sigma^2\sqrt{2/N} = 0.063$ (since $\operatorname{Var}\varepsilon^2 = 2\sigma^4$ for
        Gaussian noise). So the numbers are mostly the **noise of each sample**: measured
        with the *true* line, the training data's noise has a mean square near 0.88 and
        the fresh data's near 1.11. Let us check, redoing the first notebook's fit exactly:
        """
    ),
    code(
        """
        fresh = linreg.make_regression(n_samples=500, noise=1.0, seed=1)
        fit1 = linreg.LinearRegression(solver="exact").fit(first.X, first.y)
        train1, fresh1 = mse(fit1, first.X, first.y), mse(fit1, fresh.X, fresh.y)
        true_train = np.mean((first.y - first.y_true) ** 2)
        true_fresh = np.mean((fresh.y - fresh.y_true) ** 2)
        print(f"fitted line: training MSE {train1:.3f}, fresh MSE {fresh1:.3f}")
        print(f"true line:   training MSE {true_train:.3f}, fresh MSE {true_fresh:.3f}")
        assert round(train1, 3) == 0.876 and round(fresh1, 3) == 1.107  # the first notebook's numbers
        # Least squares minimizes the training MSE, so the fit beats the truth there, always.
        assert train1 < true_train
        assert abs(true_train - train1) < 0.01 and abs(fresh1 - true_fresh) < 0.01
        print(f"fit minus truth: {train1 - true_train:+.4f} on the training data, {fresh1 - true_fresh:+.4f} on fresh data")
        """
    ),
    md(
        r"""
        In expectation the true line's two numbers would both be $\sigma^2 = 1$; here they
        are $1.9$ standard deviations below and $1.8$ above. The fit itself moved them by
        less than 0.01, as theory says: on its own data it is always a little better than
        the truth (least squares minimizes exactly that number); on new data it is worse
        *on average*, by about $p\sigma^2/N$, though on this one fresh sample it happened to
        be slightly better. To see the averages, repeat the whole experiment on
        400 fresh pairs of samples:
        """
    ),
    code(
        """
        REPS = 400
        gaps, trains, tests = np.empty(REPS), np.empty(REPS), np.empty(REPS)
        for r in range(REPS):
            tr_data = linreg.make_regression(n_samples=500, noise=1.0, seed=10 + 2 * r)
            te_data = linreg.make_regression(n_samples=500, noise=1.0, seed=11 + 2 * r)
            fit = linreg.LinearRegression(solver="exact").fit(tr_data.X, tr_data.y)
            trains[r], tests[r] = mse(fit, tr_data.X, tr_data.y), mse(fit, te_data.X, te_data.y)
        gaps = tests - trains
        se = lambda a: a.std(ddof=1) / np.sqrt(REPS)
        print(f"mean training MSE {trains.mean():.4f} ± {se(trains):.4f}   theory 1 - 2/500 = {1 - 2 / 500:.4f}")
        print(f"mean fresh MSE    {tests.mean():.4f} ± {se(tests):.4f}   theory ~ 1 + 2/500 = {1 + 2 / 500:.4f}")
        print(f"mean gap          {gaps.mean():.4f} ± {se(gaps):.4f}   theory ~ 2p/N = {4 / 500:.4f}")
        print(f"standard deviation of one training MSE {trains.std(ddof=1):.4f} (theory sqrt(2/N) = {np.sqrt(2 / 500):.4f})")
        print(f"share of repetitions with a gap of 0.23 or more: {np.mean(gaps >= 0.23):.1%}")
        assert abs(trains.mean() - (1 - 2 / 500)) < 4 * se(trains)
        assert abs(gaps.mean() - 4 / 500) < 4 * se(gaps)
        assert abs(trains.std(ddof=1) / np.sqrt(2 / 500) - 1) < 0.15
        """
    ),
    md(
        r"""
        So: **the first notebook's model did not overfit.** With 2 parameters and 500 points,
        fitting lowers the training error by only $p\sigma^2/N = 0.004$ on average and raises
        the error on new data by about as much. The 0.23 gap was sampling noise, a rare
        draw (about one pair in a hundred is that far apart): training MSE and test MSE are
        each uncertain by $\pm\sigma^2\sqrt{2/N}$, and comparing two such numbers needs that
        error bar. When $p/N$ is *not* small, as with degree 9 on 20 points, the same formulas
        predict a training error half the noise and a test error far above it, which is what
        sections 2–4 showed.

        **Exercises 10.** (a) How many points would make the sampling spread of a test MSE
        smaller than the optimism gap $2p\sigma^2/N$? (b) Degree 9 on 20 points: what
        training MSE do you expect? Compare with section 2.
        """
    ),
    # -- answers ---------------------------------------------------------------------------------
    md(
        r"""
        ## Answers to the exercises

        **1.** (a) With $\hat y = f(x)$, the error is $\varepsilon$ itself, whose mean square
        is its variance $\sigma^2$. (b) The sample variance of $n$ Gaussian values has a
        relative standard deviation of about $\sqrt{2/n}$: 3.2% for $n = 2000$, about 0.003.

        **2.** (a) Zero: 20 distinct points determine a degree-19 polynomial through all of
        them (if the solve can resolve it; the design is very ill-conditioned). (b) $f$ is a
        constant plus odd powers; under a symmetric input distribution $x^2$ is uncorrelated
        with $x$ and $x^3$, so it explains almost nothing of $f$. (c) No: with $p = 13 \ll N$
        the variance $\sigma^2 p / N$ is small, and the test error stays near $\sigma^2$.

        **3.** (a) No; the degree-3 model contains $f$ and least squares is unbiased. The
        small number is the Monte-Carlo error of estimating the mean from 100 refits (about
        variance / 100). (b) The leverage $\phi(x)(\Phi^\top\Phi)^{-1}\phi(x)^\top$ grows fast
        where there are few training points to pin the polynomial down, near and beyond the
        outermost inputs, and high powers grow fastest there. (c) The variance halves (it is
        about $\sigma^2 p / N$); the bias, a property of the model family, stays (for the
        line, near 64/175).

        **4.** (a) $N < 4$: fewer points than parameters, and least squares has no unique
        solution. (b) Both high and close: **bias**; a more flexible model (more data will not
        help, see degree 1). (c) Far apart: **variance**; more data, a simpler model or a
        penalty.

        **5.** (a) With $H = U \Lambda U^\top$, the ridge normal equations are
        $(\Lambda + 2\alpha I)\,U^\top W = U^\top \frac2N X_c^\top y_c = \Lambda\,U^\top W_{\text{LS}}$,
        so each component is $\lambda_i / (\lambda_i + 2\alpha)$ times that of least squares.
        (b) The intercept only shifts the predictions to the mean of $y$; penalizing it would
        make the fit depend on where the origin of $y$ is. (c) $W \to 0$ and $b \to \bar y$: the
        constant model.

        **6.** (a) The L2 penalty's gradient $2\alpha W$ vanishes at 0, so it cannot hold a
        weight there against any data gradient; the L1 penalty's subgradient at 0 fills
        $[-2\alpha, 2\alpha]$ and can. (b) The prox solves $\min \frac1{2\eta}(w - v)^2 +
        2\alpha|w|$: multiplying by $\eta$ gives the threshold $2\eta\alpha$; a longer step
        goes further against the penalty too. (c) The lasso's solution is not unique: any
        split of the weight between the copies with the same total is optimal, and the
        solver picks one (often putting all of it on one). Ridge splits it equally.

        **7.** (a) Fitted on all rows, the scaling would have seen the validation fold, which
        leaks information and biases the CV estimate downwards. (b) $k = N$: each fold is one
        row. (c) The minimum of 50 noisy estimates is biased low: the chosen model was
        chosen partly because its test error happened to be lucky.

        **8.** (a) The epoch was chosen on the validation set, so its validation error is
        optimistic, like any number used for a choice. (b) The filter depends on $\eta t$:
        halving $\eta$ doubles the epochs for the same regularization; the equivalent
        $\alpha \approx 1/(2\eta t)$. (c) The factor $[1 - (1 - \eta\lambda_i)^t]/\lambda_i$ is
        0 for $\lambda_i = 0$ (the direction is never entered), so gradient descent from zero
        converges to the **minimum-norm** least-squares solution.

        **9.** (a) $\sum_t \eta_0/(1+t)^2$ is finite ($\eta_0\pi^2/6$): the steps die out before
        reaching the optimum from a distant start. (b) The full-batch gradient has no noise
        and vanishes at the optimum, so a constant step converges. (c) Momentum overshoots
        along the steep direction and swings back; the error falls by the contraction
        factor only as an envelope. Its per-direction recurrence has complex roots of size
        $\sqrt\mu$, so the error spirals: energy moves between the steep and the flat
        direction, and with a step beyond plain gradient descent's $\eta_{\max}$ the steep
        direction's error first grows before the spiral winds in.

        **10.** (a) The spread $\sigma^2\sqrt{2/N}$ falls below $2p\sigma^2/N$ when
        $\sqrt{2N} < 2p$, i.e. $N < 2p^2$: with $p = 2$, fewer than 8 points. For any
        reasonable data set the sampling spread of a single test number is larger than the
        optimism gap; it is averages over many samples (or large $p/N$) that reveal it.
        (b) $\sigma^2(1 - 10/20) = 0.045$ on average; section 2's single sample gave a value
        of that size (degree 9's row).
        """
    ),
    code(
        """
        elapsed = time.perf_counter() - notebook_start
        print(f"notebook ran in {elapsed:.1f} s")
        """
    ),
]


# ---------------------------------------------------------------------------------------------
# Notebooks 3 and 4: the exercises and their solutions, from the one source exercise_cells.py
# ---------------------------------------------------------------------------------------------
def _load_exercise_cells() -> ModuleType:
    # Loaded by path: this file is itself loaded by path (tests/test_notebooks.py), so the
    # notebooks folder is not on sys.path.
    path = NOTEBOOK_DIR / "exercise_cells.py"
    spec = importlib.util.spec_from_file_location("_notebooks_exercise_cells", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


exercise_cells = _load_exercise_cells()

NOTEBOOKS = {
    "linear_regression_from_scratch.ipynb": ("scratch", FROM_SCRATCH),
    "autodiff_vs_hand_gradients.ipynb": ("autodiff", AUTODIFF),
    "generalization.ipynb": ("general", GENERALIZATION),
    "exercises.ipynb": ("exercises", exercise_cells.cells(solutions=False)),
    "solutions.ipynb": ("solutions", exercise_cells.cells(solutions=True)),
}


def build(cells: list[Cell], prefix: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for index, (kind, source) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell.id = f"{prefix}-{index:03d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main() -> int:
    for filename, (prefix, cells) in NOTEBOOKS.items():
        path = NOTEBOOK_DIR / filename
        nbformat.write(build(cells, prefix), path)
        print(f"wrote {path.relative_to(NOTEBOOK_DIR.parent)} ({len(cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

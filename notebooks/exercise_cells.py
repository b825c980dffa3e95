"""The cells of the exercises notebook and of its solutions, from one source.

Each function the student writes is a :class:`Blank`: its signature and docstring,
then either the answer (``solutions.ipynb``) or a ``NotImplementedError``
(``exercises.ipynb``). Everything else, the questions and the checks included, is
the same in both, so the two notebooks cannot drift apart. ``build_notebooks.py``
loads this file and writes both.
"""

# Cell sources sit here indented by 8 spaces but are formatted for the notebook's own
# 100-column lines: line length is not checked here.
# ruff: noqa: E501

from __future__ import annotations

from dataclasses import dataclass
from textwrap import dedent, indent

Cell = tuple[str, str]  # ("md" or "code", source)


def md(source: str) -> Cell:
    return ("md", dedent(source).strip("\n"))


def code(source: str) -> Cell:
    return ("code", dedent(source).strip("\n"))


@dataclass(frozen=True)
class Blank:
    """A function for the student: ``head`` (def line and docstring) and its ``answer``."""

    head: str
    answer: str
    todo: str  # what the NotImplementedError says

    def cell(self, solutions: bool) -> Cell:
        head = dedent(self.head).strip("\n")
        if solutions:
            body = dedent(self.answer).strip("\n")
        else:
            body = f'# YOUR CODE HERE\nraise NotImplementedError("{self.todo}")'
        return ("code", f"{head}\n{indent(body, '    ')}")


TEACHER_NOTE = {
    False: """
        **How to work.** Each exercise is a function to write: replace the
        `raise NotImplementedError(...)` with your code, run the cell, then run the check
        below it. A check calls your function on a dozen random problems (one sample and many,
        one feature and several, targets as a flat array and as a column) and compares it with
        `linreg`. If something is wrong it says which case and, for the usual mistakes, which
        mistake. Cells marked **Predict** ask you to write down what you expect *before* you
        run them.

        The answers are in `solutions.ipynb`; try first.
        """,
    True: """
        **Solutions.** This is `exercises.ipynb` with every function filled in and every check
        passing; the questions marked **Predict** are answered after the cells that run them.
        """,
}


def title(solutions: bool) -> str:
    """The first cell: what the notebook is and how to work in it."""
    kind = "solutions" if solutions else "exercises"
    intro = md(
        r"""
        The path of the tutorial `linear_regression_from_scratch.ipynb`, Tasks 1–9, with
        the code left for you to write: the forward pass, the loss, the backward pass, the
        update, the training loop, the largest stable learning rate $\eta_{\max}$ and
        standardization. Shapes, as in the rest of `linreg`: $X$ is $(N, d)$, $W$ is
        $(d,)$, $b$ is a number, $y$ is $(N,)$.
        """
    )[1]
    note = md(TEACHER_NOTE[solutions])[1]
    return f"# Linear regression from scratch — {kind}\n\n{intro}\n\n{note}"


SOURCE: list[Cell | Blank | dict[bool, Cell]] = [
    {solutions: ("md", title(solutions)) for solutions in (False, True)},
    code(
        """
        %matplotlib inline
        import numpy as np

        import linreg
        from linreg import exercises
        from linreg.viz import plots

        np.set_printoptions(precision=4, suppress=True)
        data = linreg.make_regression(n_samples=500, n_features=1, weights=3.0, bias=2.0, noise=1.0, seed=0)
        X, y = data.X, data.y
        print("X:", X.shape, " y:", y.shape, " the data come from y = 3x + 2 + noise, x in [0, 10)")
        """
    ),
    # -- forward --------------------------------------------------------------------------------
    md(
        r"""
        ## 1 — The forward pass

        $$\hat y = X W + b, \qquad \hat y_i = \sum_{j=1}^{d} x_{ij} W_j + b .$$

        One matrix–vector product and one number added to every entry. No loop is needed.
        """
    ),
    Blank(
        '''
        def forward(X, W, b):
            """Predictions y_pred = X W + b: X (N, d), W (d,), b a number -> shape (N,)."""
        ''',
        "return X @ W + b",
        "write forward: y_pred = X W + b",
    ),
    code("exercises.check_forward(forward)"),
    # -- loss -----------------------------------------------------------------------------------
    md(
        r"""
        ## 2 — The loss

        $$L = \frac1N \sum_{i=1}^{N} (\hat y_i - y_i)^2 .$$

        Careful: `y` may arrive as a column of shape $(N, 1)$ (a table's column often does).
        What does NumPy make of `y_pred - y` when `y_pred` is $(N,)$ and `y` is $(N, 1)$?
        """
    ),
    Blank(
        '''
        def loss(y_pred, y):
            """Mean squared error of y_pred (N,) against y, of shape (N,) or (N, 1): a number."""
        ''',
        """
        residual = y_pred - y.reshape(-1)  # (N,) - (N, 1) would broadcast to (N, N)
        return float(np.mean(residual**2))
        """,
        "write loss: the mean of the squared residuals",
    ),
    code("exercises.check_loss(loss)"),
    md(
        r"""
        **Predict.** The data have noise of standard deviation $\sigma = 1$. What loss does the
        *true* line $y = 3x + 2$ get on them? And the untrained model $W = 0, b = 0$? Write
        your guesses down, then run:
        """
    ),
    code(
        """
        print(f"loss of the true line:         {loss(forward(X, np.array([3.0]), 2.0), y):8.3f}")
        print(f"loss of W = 0, b = 0:          {loss(forward(X, np.zeros(1), 0.0), y):8.3f}")
        print(f"the variance of y, for scale:  {y.var():8.3f}")
        """
    ),
    {
        False: md("*(Compare with your guesses before reading on.)*"),
        True: md(
            r"""
            *Answer.* The true line misses only by the noise, so its loss is about
            $\sigma^2 = 1$. With $W = 0, b = 0$ every prediction is 0 and the loss is the
            mean of $y^2$: the variance of $y$ plus its squared mean.
            """
        ),
    },
    # -- backward -------------------------------------------------------------------------------
    md(
        r"""
        ## 3 — The backward pass

        With the residual $r = \hat y - y$, the chain rule gives

        $$\frac{\partial L}{\partial W} = \frac2N X^\top r, \qquad
        \frac{\partial L}{\partial b} = \frac2N \sum_i r_i .$$

        Where does the 2 come from, and where the $\frac1N$? Return the pair `(dW, db)`:
        `dW` of shape $(d,)$ and `db` a number. Again `y` may be $(N, 1)$.
        """
    ),
    Blank(
        '''
        def backward(X, y, y_pred):
            """Gradient of the MSE: (dW of shape (d,), db a number)."""
        ''',
        """
        N = X.shape[0]
        residual = y_pred - y.reshape(-1)
        dW = (2 / N) * (X.T @ residual)
        db = (2 / N) * float(np.sum(residual))
        return dW, db
        """,
        "write backward: dW = (2/N) X^T r, db = (2/N) sum(r)",
    ),
    code("exercises.check_backward(backward)"),
    # -- step -----------------------------------------------------------------------------------
    md(
        r"""
        ## 4 — The update

        $$W \leftarrow W - \eta\, \frac{\partial L}{\partial W}, \qquad
        b \leftarrow b - \eta\, \frac{\partial L}{\partial b}.$$

        Return the new pair `(W, b)`; leave the arrays you are given unchanged.
        """
    ),
    Blank(
        '''
        def step(W, b, dW, db, learning_rate):
            """One gradient-descent update: the new (W, b)."""
        ''',
        "return W - learning_rate * dW, b - learning_rate * db",
        "write step: W - learning_rate dW, b - learning_rate db",
    ),
    code("exercises.check_step(step)"),
    md(
        r"""
        **Predict.** Start from $W = -1.75,\ b = 0.5$ (a slope of the wrong sign) and take *one*
        step with $\eta = 0.02$. Does $W$ move a little towards 3, reach it, or overshoot it?
        """
    ),
    code(
        """
        W0, b0 = np.array([-1.75]), 0.5
        W1, b1 = step(W0, b0, *backward(X, y, forward(X, W0, b0)), 0.02)
        print(f"W: {W0[0]:+.3f} -> {W1[0]:+.3f}    b: {b0:+.3f} -> {b1:+.3f}")
        print(f"loss: {loss(forward(X, W0, b0), y):.2f} -> {loss(forward(X, W1, b1), y):.2f}")
        """
    ),
    {
        False: md("*(Compare with your guess: section 6 explains what you see.)*"),
        True: md(
            r"""
            *Answer.* $W$ jumps right past 3: along the steep direction of this loss the step
            $\eta = 0.02$ is most of the way to the limit $\eta_{\max}$ of section 6, so it
            overshoots the bottom of the valley and lands on the other side, lower than it
            started. A rate above $\eta_{\max}$ would land higher every time.
            """
        ),
    },
    # -- train ----------------------------------------------------------------------------------
    md(
        r"""
        ## 5 — The training loop

        Put the four pieces together: for each epoch, forward pass, loss (record it **before**
        the update), backward pass, update. Return the trained `W`, `b` and the list of the
        `epochs` losses. Compute both gradients from the same prediction, before either
        parameter changes.
        """
    ),
    Blank(
        '''
        def train(X, y, W, b, learning_rate, epochs):
            """Full-batch gradient descent from (W, b): returns (W, b, losses), one loss per epoch."""
        ''',
        """
        losses = []
        for _ in range(epochs):
            y_pred = forward(X, W, b)
            losses.append(loss(y_pred, y))
            dW, db = backward(X, y, y_pred)
            W, b = step(W, b, dW, db, learning_rate)
        return W, b, losses
        """,
        "write train: forward, loss, backward, step, once per epoch",
    ),
    code("exercises.check_train(train)"),
    md("Now train on the data, from the start of section 4, and draw the loss curve:"),
    code(
        """
        W, b, losses = train(X, y, np.array([-1.75]), 0.5, learning_rate=0.02, epochs=1000)
        print(f"after 1000 epochs: W = {W[0]:.4f}, b = {b:.4f}, loss = {losses[-1]:.4f}   (true: 3, 2)")
        history = linreg.History(
            loss=np.array(losses),
            W=np.zeros((len(losses), 1)),  # the loss curve reads only the losses
            b=np.zeros(len(losses)),
        )
        plots.loss_curve(history, title="Your training loss, η = 0.02")
        """
    ),
    # -- eta_max --------------------------------------------------------------------------------
    md(
        r"""
        ## 6 — The largest stable learning rate

        Append a column of ones to $X$, $A = [X\ \ \mathbf 1]$: then the Hessian of the loss is
        $H = \frac2N A^\top A$, and gradient descent converges for every start if and only if

        $$\eta < \eta_{\max} = \frac{2}{\lambda_{\max}(H)} .$$

        (`np.linalg.eigvalsh` gives the eigenvalues of a symmetric matrix in increasing order.)
        """
    ),
    Blank(
        '''
        def eta_max(X):
            """2 / (the largest eigenvalue of H = (2/N) A^T A), with A = [X 1]."""
        ''',
        """
        A = np.column_stack([X, np.ones(X.shape[0])])
        H = (2 / X.shape[0]) * (A.T @ A)
        return 2 / np.linalg.eigvalsh(H)[-1]
        """,
        "write eta_max: 2 / lambda_max of (2/N) A^T A",
    ),
    code("exercises.check_eta_max(eta_max)"),
    md(
        r"""
        **Predict.** Train 200 epochs at $0.9\,\eta_{\max}$, $0.99\,\eta_{\max}$ and
        $1.01\,\eta_{\max}$. Which converge? Just below the limit, does the loss fall
        smoothly or does it oscillate? And exactly at $\eta_{\max}$?
        """
    ),
    code(
        """
        limit = eta_max(X)
        print(f"eta_max = {limit:.5f}")
        for fraction in (0.9, 0.99, 1.01):
            with np.errstate(over="ignore", invalid="ignore"):
                _, _, run = train(X, y, np.array([-1.75]), 0.5, fraction * limit, 200)
            print(f"{fraction:4} eta_max: loss after 1, 2, 3 epochs {np.round(run[1:4], 2)}, after 200: {run[-1]:.4g}")
        """
    ),
    {
        False: md("*(Compare with your guesses.)*"),
        True: md(
            r"""
            *Answer.* Both rates below $\eta_{\max}$ converge; the steep direction's error is
            multiplied by $1 - \eta\lambda_{\max}$ each epoch, which is negative just below the
            limit, so $W$ swings from side to side while it settles (the loss still falls). Above
            the limit that factor is below $-1$ and the swings grow without bound. Exactly at
            $\eta_{\max}$ the factor is $-1$: the error along the steep direction neither grows
            nor shrinks, it flips sign forever, so gradient descent does not converge there either.
            """
        ),
    },
    # -- standardize ----------------------------------------------------------------------------
    md(
        r"""
        ## 7 — Standardization

        $z_{ij} = (x_{ij} - m_j) / s_j$ with $m_j$ the mean and $s_j$ the (population) standard
        deviation of column $j$. Return `(Z, mean, std)`; `mean` and `std` have shape $(d,)$.
        """
    ),
    Blank(
        '''
        def standardize(X):
            """Each column centred and scaled: (Z of shape (N, d), mean (d,), std (d,))."""
        ''',
        """
        mean, std = X.mean(axis=0), X.std(axis=0)
        return (X - mean) / std, mean, std
        """,
        "write standardize: (X - mean) / std, column by column",
    ),
    code("exercises.check_standardize(standardize)"),
    md(
        r"""
        **Predict.** What is $\eta_{\max}$ for the standardized feature? How many epochs at
        $\eta = 0.5$ does training on $Z$ need to reach the loss that 1000 epochs at $0.02$
        reached on $X$?
        """
    ),
    code(
        """
        Z, mean, std = standardize(X)
        print(f"eta_max: raw {eta_max(X):.4f}, standardized {eta_max(Z):.4f}")
        V, c, z_losses = train(Z, y, np.zeros(1), 0.0, learning_rate=0.5, epochs=20)
        reached = next(k for k, value in enumerate(z_losses) if value <= losses[-1] * (1 + 1e-9))
        print(f"standardized: the loss of 1000 raw epochs after {reached} epoch(s)")
        W_back = V / std
        print(f"back in the original units: W = {W_back[0]:.4f}, b = {c - W_back @ mean:.4f}")
        """
    ),
    {
        False: md("*(Compare with your guesses.)*"),
        True: md(
            r"""
            *Answer.* A standardized feature has mean 0 and mean square 1, so $H = 2I$,
            $\lambda_{\max} = 2$ and $\eta_{\max} = 1$. At $\eta = 0.5 = 1/\lambda$ the first
            step lands on the minimum: the loss is there after one epoch. The model converts
            back with $W = V / s$ and $b = c - W m$.
            """
        ),
    },
    # -- check against the truth ----------------------------------------------------------------
    md(
        r"""
        ## 8 — Against the truth

        **Predict.** After training, is $W$ exactly 3 and $b$ exactly 2? Is it exactly the
        least-squares answer that `linreg` computes in closed form?
        """
    ),
    code(
        """
        exact = linreg.LinearRegression(solver="exact").fit(X, y)
        print(f"{'':16}{'W':>12}{'b':>12}")
        print(f"{'true line':16}{3.0:12.6f}{2.0:12.6f}")
        print(f"{'least squares':16}{exact.coef_[0]:12.6f}{exact.intercept_:12.6f}")
        print(f"{'your training':16}{W[0]:12.6f}{b:12.6f}")
        """
    ),
    {
        False: md("*(Compare with your guesses.)*"),
        True: md(
            r"""
            *Answer.* Neither. The noise moves the least-squares answer away from the line that
            made the data (by about one standard error: $\pm 0.015$ for $W$, $\pm 0.09$ for $b$
            here). Training gets close to the least-squares point but not onto it: after 1000
            epochs at $\eta = 0.02$ it still differs in the fifth digit, because the error along
            the flat direction of the valley shrinks only by $1 - \eta\lambda_{\min}$ per epoch.
            More epochs close the gap; standardizing the feature closes it in one step.
            """
        ),
    },
]


def cells(solutions: bool) -> list[Cell]:
    """The notebook's cells: the answers filled in when ``solutions``, else blanks."""
    out: list[Cell] = []
    for item in SOURCE:
        if isinstance(item, Blank):
            out.append(item.cell(solutions))
        elif isinstance(item, dict):
            out.append(item[solutions])
        else:
            out.append(item)
    return out

# A small MLP classifier on synthetic 2-D data: points inside or outside a circle.
# Uses TensorDataset, random_split, DataLoader, CrossEntropyLoss, Adam and StepLR.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)

n = 768
x = torch.randn(n, 2)
y = (x.pow(2).sum(1) < 1.0).long()  # class 1: inside the unit circle
train_set, val_set = random_split(TensorDataset(x, y), [0.75, 0.25])
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
val_loader = DataLoader(val_set, batch_size=64)

model = nn.Sequential(
    nn.Linear(2, 32),
    nn.ReLU(),
    nn.Linear(32, 32),
    nn.ReLU(),
    nn.Linear(32, 2),
)
print(model)

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)

for epoch in range(12):
    model.train()
    total = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
    scheduler.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in val_loader:
            correct += (model(xb).argmax(dim=1) == yb).sum().item()
    print(f"epoch {epoch + 1:2d}  lr {scheduler.get_last_lr()[0]:.5f}  "
          f"train loss {total / len(train_set):.4f}  val acc {correct / len(val_set):.3f}")

# A small CNN (Conv2d, BatchNorm2d, MaxPool2d, Linear) trained for a few steps on random
# 1x12x12 noise images with a bright 3x3 patch; the class is the quadrant holding the patch.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SmallCNN(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.1)
        self.fc = nn.Linear(16 * 3 * 3, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))   # 8 x 6 x 6
        x = self.pool(F.relu(self.conv2(x)))             # 16 x 3 x 3
        x = torch.flatten(x, 1)
        return self.fc(self.dropout(x))


def make_batch(n):
    labels = torch.randint(0, 4, (n,))
    top = torch.randint(0, 4, (n, 1)) + (labels // 2).view(n, 1) * 6
    left = torch.randint(0, 4, (n, 1)) + (labels % 2).view(n, 1) * 6
    pos = torch.arange(12).view(1, 12)
    rows = ((pos >= top) & (pos < top + 3)).float()
    cols = ((pos >= left) & (pos < left + 3)).float()
    patch = rows.unsqueeze(2) * cols.unsqueeze(1)
    images = torch.randn(n, 1, 12, 12) + 0.8 * patch.unsqueeze(1)
    return images, labels


model = SmallCNN()
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))
optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)

for step in range(1, 101):
    images, labels = make_batch(64)
    optimizer.zero_grad()
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        acc = (logits.argmax(1) == labels).float().mean().item()
        print(f"step {step:3d}  loss {loss.item():.4f}  batch acc {acc:.3f}")

model.eval()
correct = 0
with torch.no_grad():
    for _ in range(8):
        images, labels = make_batch(64)
        correct += (model(images).argmax(1) == labels).sum().item()
print(f"eval accuracy {correct / 512:.3f}")

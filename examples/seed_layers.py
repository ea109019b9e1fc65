"""The seed's layer snippets, run with numtorch in place of torch.

Each block is the seed's code with only the import changed; it prints what torch prints
(numtorch.Size in place of torch.Size).
"""
import numtorch as torch
from numtorch import nn

torch.manual_seed(0)

# Linear layer: y = x W^T + b, weight (out, in), bias (out,)
linear = nn.Linear(in_features=10, out_features=5)
x = torch.randn(3, 10)
print(linear(x).shape)            # Size([3, 5])
print(linear.weight.shape, linear.bias.shape)
print(linear)


# The Tudui CIFAR-10 network, built with nn.Sequential
class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.model1 = nn.Sequential(
            nn.Conv2d(in_channels=3, out_channels=32, kernel_size=5, padding=2),
            nn.MaxPool2d(kernel_size=2),
            nn.Conv2d(in_channels=32, out_channels=32, kernel_size=5, padding=2),
            nn.MaxPool2d(kernel_size=2),
            nn.Conv2d(in_channels=32, out_channels=64, kernel_size=5, padding=2),
            nn.MaxPool2d(kernel_size=2),
            nn.Flatten(),
            nn.Linear(in_features=1024, out_features=64),
            nn.Linear(in_features=64, out_features=10))

    def forward(self, x):
        return self.model1(x)


tudui = Tudui()
print(tudui)
input = torch.ones(64, 3, 32, 32)
output = tudui(input)
print(output.shape)               # Size([64, 10])
